import { CONFIG_PATH, type ConfigProblem } from '../config/load-repo-config.js';
import { failureOutput, type Annotation, type CheckOutput } from './check-output.js';

/** `s2i/build` for a `.github/s2i.yml` that cannot be used: every problem listed, and annotated on its line. */
export function configInvalid(problems: ConfigProblem[]): CheckOutput {
  const annotations: Annotation[] = problems
    .filter((problem) => problem.line !== undefined)
    .map((problem) => ({
      path: CONFIG_PATH,
      start_line: problem.line as number,
      end_line: problem.line as number,
      annotation_level: 'failure',
      title: 'Invalid s2i-bot configuration',
      message: problem.message,
    }));
  const lines = problems.map((problem) => `${problem.line ? `line ${problem.line}: ` : ''}${problem.message}`);
  const reason = lines.length === 1 ? `${CONFIG_PATH} is invalid: ${lines[0]}` : `${lines.length} problems in ${CONFIG_PATH}\n${lines.map((line) => `- ${line}`).join('\n')}`;
  return failureOutput({ step: 'config', reason, hint: `fix ${CONFIG_PATH} as the annotations show and push again` }, annotations);
}

/** `s2i/build` when GitHub would not give the config file (5xx, network). */
export function configUnreadable(message: string): CheckOutput {
  return failureOutput({ step: 'config', reason: `${CONFIG_PATH} could not be read from GitHub: ${message}`, hint: 'this is usually temporary: push again in a moment' });
}
