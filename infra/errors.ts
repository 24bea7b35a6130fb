/** A Pulumi config value or an infra definition that cannot be deployed. */
export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';
}
