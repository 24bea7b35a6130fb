/**
 * Child processes of the benchmark: the fake API server and the engine runs. Every
 * child is tracked and killed when the benchmark exits, fails or is interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILLs every child still running (synchronous: safe in an `exit` handler). */
export function killAllChildren(): void {
  for (const child of children) {
    if (isAlive(child)) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      killAllChildren();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  installCleanup();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the exit code (or signal name) once the child has exited. */
function exited(child: ChildProcess): Promise<number | string> {
  if (!isAlive(child)) return Promise.resolve(child.exitCode ?? child.signalCode ?? -1);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Resolves once the child has exited and its stdio streams are closed (all output read). */
function closed(child: ChildProcess): Promise<number | string> {
  if (!isAlive(child) && child.stdout?.readableEnded !== false)
    return Promise.resolve(child.exitCode ?? child.signalCode ?? -1);
  return new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** User + system CPU seconds of a live process from /proc (Linux); undefined elsewhere. */
export function procCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export interface FakeApiProcess {
  url: string;
  pid: number | undefined;
  /** CPU seconds the server has used so far (Linux only). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

export interface FakeApiArgs {
  records: number;
  pageSize: number;
  latencyMs?: number;
  detailLatencyMs?: number;
}

/** Spawns `fakeApiMain.js` with this node binary and waits for its LISTENING line. */
export function startFakeApiProcess(
  script: string,
  args: FakeApiArgs,
  nodeFlags: string[] = [],
): Promise<FakeApiProcess> {
  const argv = [
    ...nodeFlags,
    script,
    '--port',
    '0',
    '--records',
    String(args.records),
    '--page-size',
    String(args.pageSize),
    '--latency',
    String(args.latencyMs ?? 0),
    '--detail-latency',
    String(args.detailLatencyMs ?? 0),
  ];
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    if (!isAlive(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  return new Promise<FakeApiProcess>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fake API did not print LISTENING within 15 s; stderr: ${stderr}`));
    }, 15_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const match = /^LISTENING (\S+)$/m.exec(buffer);
      if (match?.[1]) {
        clearTimeout(timer);
        const url = match[1];
        resolve({ url, pid: child.pid, cpuSeconds: () => procCpuSeconds(child.pid), stop });
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fake API exited early (${code ?? signal}); stderr: ${stderr}`));
    });
  });
}

export interface ChildOutput {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a node script in a fresh process with this node binary; kills it after `timeoutMs`. */
export async function runNodeScript(
  script: string,
  args: string[],
  timeoutMs: number,
  nodeFlags: string[] = [],
): Promise<ChildOutput> {
  const child = track(
    spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    const code = await Promise.race([closed(child), spawnError]);
    if (timedOut)
      throw new Error(`${script} timed out after ${Math.round(timeoutMs / 1000)} s; stderr: ${stderr}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
