/**
 * docker/compose.yaml: the emulator, bootstrap as a one-off, the five services from
 * the image with the commands the ECS task definitions use, the config-api's port
 * published. Its structure is read with Python's YAML parser (PyYAML, which moto
 * brings); when a compose tool is on PATH (`docker compose`, `docker-compose`,
 * `podman-compose`) it also validates the file with its `config` command.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_COMMANDS } from '../../infra/services';
import { SERVICE_NAMES } from '../../shared/core/topology';

const COMPOSE_FILE = join(__dirname, '../../docker/compose.yaml');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  profiles?: string[];
  stop_grace_period?: string;
}

/** The file as data: YAML anchors and merge keys resolved. */
function load(): { services: Record<string, ComposeService> } {
  const result = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', COMPOSE_FILE],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`PyYAML could not read ${COMPOSE_FILE}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as { services: Record<string, ComposeService> };
}

/** The first compose tool that answers on this machine, as a command and its leading arguments. */
function composeTool(): string[] | undefined {
  for (const tool of [['docker', 'compose'], ['docker-compose'], ['podman-compose']]) {
    const probe = spawnSync(tool[0]!, [...tool.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return tool;
  }
  return undefined;
}

describe('docker/compose.yaml', () => {
  const { services } = load();

  it('runs the five services from the image with the ECS task definitions’ commands', () => {
    for (const name of SERVICE_NAMES) {
      const service = services[name];
      expect(service).toBeDefined();
      expect(service?.command).toEqual(SERVICE_COMMANDS[name]);
      expect(service?.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(service?.image).toBe(services.bootstrap?.image);
      expect(service?.depends_on).toEqual({ bootstrap: { condition: 'service_completed_successfully' } });
      expect(service?.stop_grace_period).toBe('120s');
      expect(service?.environment).toMatchObject({
        AWS_ENDPOINT_URL: '${AWS_ENDPOINT_URL:-http://moto:5000}',
        STAGE: '${STAGE:-dev}',
        AWS_ACCESS_KEY_ID: 'test',
      });
    }
  });

  it('bootstraps once the emulator is healthy; only the config-api has the root key and a published port', () => {
    expect(services.bootstrap?.command).toEqual(['dist/services/bootstrap/main.js']);
    expect(services.bootstrap?.depends_on).toEqual({ moto: { condition: 'service_healthy' } });
    expect(services['config-api']?.ports).toEqual(['${PORT:-8080}:8080']);
    expect(services['config-api']?.environment).toMatchObject({ HOST: '0.0.0.0', PORT: '8080' });
    for (const [name, service] of Object.entries(services)) {
      if (name === 'config-api') continue;
      expect(service.ports).toBeUndefined();
      expect(service.environment?.ROOT_API_KEY).toBeUndefined();
    }
  });

  it('offers LocalStack behind a profile, its auth token from LOCALSTACK_AUTH_TOKEN', () => {
    expect(services.localstack?.profiles).toEqual(['localstack']);
    expect(services.localstack?.environment?.LOCALSTACK_AUTH_TOKEN).toBe('${LOCALSTACK_AUTH_TOKEN:-}');
  });

  const tool = composeTool();
  (tool ? it : it.skip)(`is valid for ${tool?.join(' ') ?? 'a compose tool (none on PATH)'}`, () => {
    for (const profile of [[], ['--profile', 'localstack']]) {
      const result = spawnSync(
        tool![0]!,
        [...tool!.slice(1), '-f', COMPOSE_FILE, ...profile, 'config', '-q'],
        {
          encoding: 'utf8',
        },
      );
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    }
  });
});
