/**
 * The two ways a stage's queues come to exist, `pulumi up` (infra/) and `npm run
 * bootstrap` (bootstrap.ts), and the workers the stack deploys agree on the queue
 * topology: compared on what each actually declares or sends, not on the constants.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { bootstrapAwsResources } from '../../shared/adapters/aws/bootstrap';
import { awsSettingsFromEnv, type AwsClients } from '../../shared/adapters/aws/config';
import {
  DEAD_LETTER_CONSUMER,
  QUEUE_NAMES,
  WORKER_QUEUES,
  WORKER_SERVICES,
} from '../../shared/core/topology';
import {
  ACCOUNT,
  baseArgs,
  container,
  deploy,
  REGION,
  type Recorder,
  STAGE,
  statements,
  SUFFIX,
} from './pulumiStack';

interface Sent {
  name: string;
  input: Record<string, unknown>;
}

/** AWS clients that answer as for an empty account and record every command bootstrap sends. */
function recordingClients(): {
  clients: Pick<AwsClients, 's3' | 'sqs' | 'dynamodb' | 'secrets'>;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const urlOf = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command instanceof GetQueueUrlCommand) {
        throw new QueueDoesNotExist({ message: 'no such queue', $metadata: {} });
      }
      if (command instanceof CreateQueueCommand) return { QueueUrl: urlOf(String(command.input.QueueName)) };
      if (command instanceof GetQueueAttributesCommand) {
        const name = String(command.input.QueueUrl).split('/').pop() ?? '';
        return { Attributes: { QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}` } };
      }
      if (command instanceof DescribeTableCommand) return { Table: { TableStatus: 'ACTIVE' } };
      return {};
    },
  };
  return { clients: { s3: client, sqs: client, dynamodb: client, secrets: client } as never, sent };
}

/** The queue attributes bootstrap set, by queue name. */
function bootstrappedAttributes(sent: Sent[]): Map<string, Record<string, string>> {
  const byUrl = new Map<string, Record<string, string>>();
  for (const { name, input } of sent) {
    if (name !== SetQueueAttributesCommand.name) continue;
    const queue = String(input.QueueUrl).split('/').pop() ?? '';
    byUrl.set(queue, { ...byUrl.get(queue), ...(input.Attributes as Record<string, string>) });
  }
  return byUrl;
}

describe('queue topology: the stack, bootstrap and the workers agree', () => {
  let mocks: Recorder;
  let created: string[];
  let attributes: Map<string, Record<string, string>>;
  const queueInputs = (queueName: string): Record<string, unknown> => {
    const found = mocks.ofType('aws:sqs/queue:Queue').find((q) => q.inputs.name === queueName);
    if (!found) throw new Error(`the stack declares no queue ${queueName}`);
    return found.inputs;
  };

  beforeAll(async () => {
    ({ mocks } = await deploy());
    const settings = awsSettingsFromEnv({
      AWS_REGION: REGION,
      STAGE,
      DEFAULT_OUTPUT_BUCKET_SUFFIX: SUFFIX,
      MAX_RECEIVE_COUNT: String(baseArgs.maxReceiveCount),
    });
    const { clients, sent } = recordingClients();
    await bootstrapAwsResources(settings, clients);
    created = sent
      .filter((c) => c.name === CreateQueueCommand.name)
      .map((c) => String(c.input.QueueName))
      .sort();
    attributes = bootstrappedAttributes(sent);
  });

  it('creates the same queues and dead-letter queues', () => {
    const declared = mocks.ofType('aws:sqs/queue:Queue').map((q) => String(q.inputs.name));
    expect(created).toEqual(declared.sort());
    expect(created).toHaveLength(2 * QUEUE_NAMES.length);
  });

  it('redrives each queue to the same dead-letter queue after the same receive count', () => {
    const withRedrive = mocks.ofType('aws:sqs/queue:Queue').filter((q) => q.inputs.redrivePolicy);
    expect(withRedrive).toHaveLength(QUEUE_NAMES.length);
    for (const queue of withRedrive) {
      const name = String(queue.inputs.name);
      expect(JSON.parse(String(attributes.get(name)?.RedrivePolicy))).toEqual(
        JSON.parse(String(queue.inputs.redrivePolicy)),
      );
    }
  });

  it('keeps dead letters for the same time', () => {
    const deadLetterQueues = mocks
      .ofType('aws:sqs/queue:Queue')
      .filter((q) => q.inputs.redrivePolicy === undefined);
    expect(deadLetterQueues).toHaveLength(QUEUE_NAMES.length);
    for (const dlq of deadLetterQueues) {
      expect(Number(attributes.get(String(dlq.inputs.name))?.MessageRetentionPeriod)).toBe(
        dlq.inputs.messageRetentionSeconds,
      );
    }
  });

  it("starts each worker with its own queue's visibility timeout and lets it consume that queue", () => {
    const sqsArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    for (const service of WORKER_SERVICES) {
      const def = container(mocks, service);
      // `worker/main.js <service>` consumes WORKER_QUEUES[service].
      expect(def.command.slice(1)).toEqual([service]);
      const consumed = statements(mocks, `${service}-task-policy`).find((s) => s.Sid === 'ConsumeOwnQueue');
      expect(consumed?.Resource).toHaveLength(1);
      const queueName = String(consumed?.Resource[0]).split(':').pop() ?? '';
      expect(queueName).toBe(`api-extractor-${STAGE}-${WORKER_QUEUES[service]}`);
      const env = Object.fromEntries(def.environment.map((e) => [e.name, e.value]));
      expect(Number(env.VISIBILITY_TIMEOUT_SECONDS)).toBe(queueInputs(queueName).visibilityTimeoutSeconds);
      expect(consumed?.Resource).toEqual([sqsArn(queueName)]);
    }
  });

  it('lets the dead-letter consumer, and it alone, consume every dead-letter queue', () => {
    const dlqArns = mocks
      .ofType('aws:sqs/queue:Queue')
      .filter((q) => q.inputs.redrivePolicy === undefined)
      .map((q) => String(q.state.arn))
      .sort();
    for (const service of WORKER_SERVICES) {
      const consumes = statements(mocks, `${service}-task-policy`)
        .filter((s) => s.Action.includes('sqs:ReceiveMessage'))
        .flatMap((s) => s.Resource)
        .filter((arn) => dlqArns.includes(arn))
        .sort();
      expect(consumes).toEqual(service === DEAD_LETTER_CONSUMER ? dlqArns : []);
    }
  });
});
