/**
 * The AWS clients count the requests they send, per service and operation, retries
 * included: against a real HTTP server on 127.0.0.1 that plays each service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../../../shared/adapters/aws/config';

let server: Server;
let endpoint: string;
let failNext = 0;
const saved: Record<string, string | undefined> = {};

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    if (failNext > 0) {
      failNext--;
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'InternalServerError', message: 'try again' }));
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('AmazonSQS.')) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ QueueUrl: `${endpoint}/q` }));
    } else if (target.startsWith('secretsmanager.')) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Name: 's', SecretString: '{}' }));
    } else if (target.startsWith('DynamoDB_')) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    } else {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    }
  });
}

beforeAll(async () => {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED'])
    saved[name] = process.env[name];
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise((resolve) => server.close(resolve));
});

describe('AWS request counting', () => {
  let clients: AwsClients;
  beforeEach(() => {
    failNext = 0;
    clients = createAwsClients({ region: 'us-east-1', endpoint });
  });
  afterEach(() => destroyAwsClients(clients));

  it('counts each request per service and operation, the document client under DynamoDB', async () => {
    await clients.s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }));
    await clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }));
    await clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'r' }));
    await clients.documents.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }));
    await clients.secrets.send(new GetSecretValueCommand({ SecretId: 's' }));

    expect(clients.requests.snapshot()).toEqual({
      total: 5,
      byService: { DynamoDB: 1, S3: 1, SQS: 2, SecretsManager: 1 },
      byOperation: {
        'DynamoDB.GetItem': 1,
        'S3.HeadObject': 1,
        'SQS.GetQueueUrl': 2,
        'SecretsManager.GetSecretValue': 1,
      },
      items: {},
    });
  });

  it('counts the items of a transaction, which DynamoDB bills per item', async () => {
    const update = (sk: string) => ({
      Update: {
        TableName: 't',
        Key: { pk: 'a', sk },
        UpdateExpression: 'SET x = :x',
        ExpressionAttributeValues: { ':x': 1 },
      },
    });
    await clients.documents.send(
      new TransactWriteCommand({ TransactItems: [update('1'), update('2'), update('3')] }),
    );
    expect(clients.requests.snapshot()).toMatchObject({
      byOperation: { 'DynamoDB.TransactWriteItems': 1 },
      items: { 'DynamoDB.TransactWriteItems': 3 },
    });
  });

  it('counts every attempt of a retried request, as AWS bills them', async () => {
    failNext = 2;
    await clients.documents.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }));
    expect(failNext).toBe(0);
    expect(clients.requests.snapshot().byOperation).toEqual({ 'DynamoDB.GetItem': 3 });
  });
});
