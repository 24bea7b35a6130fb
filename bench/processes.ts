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

/** A `kB` field of `/proc/<pid>/status` (e.g. `VmHWM`, the peak RSS) in KiB; undefined when unreadable. */
export function procStatusKb(pid: number | undefined, field: string): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
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

/** Busy CPU seconds of the whole machine so far (all cores, every process), from /proc/stat. */
export function machineBusyCpuSeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [label, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/);
    if (label !== 'cpu') return undefined;
    const busy = [user, nice, system, irq, softirq, steal].reduce((sum, v) => sum + Number(v ?? 0), 0);
    return Number.isFinite(busy) ? busy / 100 : undefined;
  } catch {
    return undefined;
  }
}

export interface FakeApiProcess {
  url: string;
  pid: number | undefined;
  /** CPU seconds the server has used so far (Linux only). */
  cpuSeconds(): number | undefined;
  /** False once it has exited. */
  alive(): boolean;
  /** Its stderr so far (last 4,000 characters). */
  stderr(): string;
  /** Its stdout so far. */
  stdout(): string;
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
  return startListeningProcess('fake API', [
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
  ]);
}

/** Spawns `fakeCarolMain.js`; after `stop()`, `stdout()` holds its `STATS` line. */
export function startFakeCarolProcess(script: string, nodeFlags: string[] = []): Promise<FakeApiProcess> {
  return startListeningProcess('fake Carol', [...nodeFlags, script, '--port', '0']);
}

/** Spawns a server script with this node binary and waits for its `LISTENING url` line. */
export function startListeningProcess(name: string, argv: string[]): Promise<FakeApiProcess> {
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  let stdout = '';
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
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not print LISTENING within 15 s; stderr: ${stderr}`));
    }, 15_000);
    let listening = false;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const match = listening ? null : /^LISTENING (\S+)$/m.exec(stdout);
      if (match?.[1]) {
        listening = true;
        clearTimeout(timer);
        const url = match[1];
        resolve({
          url,
          pid: child.pid,
          cpuSeconds: () => procCpuSeconds(child.pid),
          alive: () => isAlive(child),
          stderr: () => stderr,
          stdout: () => stdout,
          stop,
        });
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${code ?? signal}); stderr: ${stderr}`));
    });
  });
}

/** A long-running child (a service, an emulator) tracked for the exit clean-up. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  /** The last 20,000 characters of stderr and stdout, interleaved. */
  output(): string;
  /** Resolves once `pattern` appears in its output; rejects if it exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  alive(): boolean;
  /** Sends `signal`, SIGKILLs after `graceMs`, resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/** Spawns `command` with stdout and stderr piped into a bounded buffer; killed on the harness's exit. */
export function startService(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): ServiceProcess {
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
  let text = '';
  const listeners = new Set<() => void>();
  const keep = (chunk: string): void => {
    text = (text + chunk).slice(-20_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
    for (const listener of listeners) listener();
  });
  child.once('exit', () => {
    for (const listener of listeners) listener();
  });
  return {
    name,
    child,
    pid: child.pid,
    output: () => text,
    alive: () => isAlive(child) && spawnError === undefined,
    waitFor(pattern, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const check = (): void => {
          if (pattern.test(text)) finish();
          else if (spawnError) finish(new Error(`${name} could not start: ${spawnError.message}`));
          else if (!isAlive(child))
            finish(
              new Error(
                `${name} exited (${child.exitCode ?? child.signalCode}) before ${pattern}; output:\n${text.slice(-3000)}`,
              ),
            );
        };
        const timer = setTimeout(
          () =>
            finish(new Error(`${name}: no ${pattern} within ${timeoutMs} ms; output:\n${text.slice(-3000)}`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!isAlive(child)) return child.exitCode ?? child.signalCode ?? -1;
      child.kill(signal);
      const timer = setTimeout(() => {
        if (isAlive(child)) child.kill('SIGKILL');
      }, graceMs);
      const code = await exited(child);
      clearTimeout(timer);
      return code;
    },
  };
}

export interface ChildOutput {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a node script in a fresh process with this node binary; kills it after `timeoutMs`. */
export function runNodeScript(
  script: string,
  args: string[],
  timeoutMs: number,
  nodeFlags: string[] = [],
): Promise<ChildOutput> {
  return runCommand(process.execPath, [...nodeFlags, script, ...args], timeoutMs);
}

/** Runs a program in a fresh process; kills it after `timeoutMs`. */
export async function runCommand(program: string, args: string[], timeoutMs: number): Promise<ChildOutput> {
  const script = args.find((a) => !a.startsWith('-')) ?? program;
  const child = track(spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
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
