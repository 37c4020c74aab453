// One pino logger for every process (API, workers, the Temporal runtime, scripts): LOG_LEVEL chooses the
// level (default info); a terminal gets pino-pretty's readable lines, anything else (a pipe, a container,
// a log shipper) one JSON object per line. Logs carry ids (loan, case, workflow), never personal data:
// the paths below are censored in case a caller passes a borrower record by mistake.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL, checked: an unknown level fails at start-up with the variable named. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = (env.LOG_LEVEL ?? '').trim().toLowerCase() || 'info';
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(env.LOG_LEVEL)})`);
  return level;
}

// Personal data that must never reach a log line, wherever it hides in a logged object.
const personal = ['name', 'email', 'phone', 'address', 'to', 'text', 'html', 'body'];
export const redactPaths = [
  ...personal,
  ...personal.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/** A connection URL with its user and password left out, for an error message or a log line. */
export const withoutCredentials = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

/** A logger with Overdue's options writing JSON lines to `destination` (tests hand in their own stream). */
export function createLogger(destination: pino.DestinationStream, level = 'info'): Logger {
  return pino(options(level), destination);
}

function options(level: string): pino.LoggerOptions {
  // OVERDUE_PROCESS names the process in every line (npm run cluster sets worker-1, worker-2, …).
  const name = process.env.OVERDUE_PROCESS;
  return { level, redact: { paths: redactPaths, censor: '[redacted]' }, ...(name ? { name } : {}) };
}

function build(): Logger {
  let level: string;
  try {
    level = logLevel();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const tty = process.stdout.isTTY && !process.env.LOG_JSON;
  // Synchronous in both modes, so the last lines before process.exit() are not lost.
  if (tty) return pino(options(level), pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  return createLogger(pino.destination({ fd: 1, sync: true }), level);
}

/** The process's root logger; name a part with `logger.child({ component: 'worker' })`. */
export const logger: Logger = build();
