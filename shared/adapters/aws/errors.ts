/**
 * Errors raised by the AWS adapters. SDK errors are translated where the SDK is
 * called: the expected ones (a failed condition, a missing key) become the results
 * the ports describe; everything else is wrapped in one of these, with the SDK error
 * kept as `cause`, so callers branch on `instanceof` and logs keep the AWS detail.
 */

export interface AwsAdapterErrorOptions {
  cause?: unknown;
}

/** Base class of every error the AWS adapters throw. */
export class AwsAdapterError extends Error {
  constructor(message: string, options?: AwsAdapterErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment does not describe a usable AWS deployment (missing or invalid variables). */
export class AwsSettingsError extends AwsAdapterError {}

/** S3 refused or failed an object store operation. */
export class ObjectStoreError extends AwsAdapterError {}

/** The extractor secret cannot be read or is not a JSON object. */
export class SecretStoreError extends AwsAdapterError {}

/** A DynamoDB call behind the run store failed. */
export class RunStoreError extends AwsAdapterError {}

/** A run, extraction or page the call refers to does not exist (a caller bug, not a re-delivery). */
export class RunRecordNotFoundError extends RunStoreError {}

/** A DynamoDB call behind the last-record, token or execution-log store failed. */
export class StateStoreError extends AwsAdapterError {}

/** SQS refused or failed a queue operation. */
export class QueueBrokerError extends AwsAdapterError {}

/** A message body is larger than SQS accepts; it must travel by reference instead. */
export class MessageTooLargeError extends QueueBrokerError {}

/** Creating the AWS resources failed. */
export class BootstrapError extends AwsAdapterError {}
