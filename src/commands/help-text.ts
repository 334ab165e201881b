/** The answer to `/s2i help`, and to a line that is not a command (after saying what was wrong with it). */
export const HELP_TEXT = `**s2i-bot commands** — write one on its own line of a comment:

| Command | What it does | Who |
| --- | --- | --- |
| \`/s2i help\` | This list. | anyone |
| \`/s2i status\` | Last build and deploy per environment, pins, and why a recent push did not build. | anyone |
| \`/s2i build\` | Builds the head commit (on a pull request from a fork: approves exactly that commit and builds it). | write access |
| \`/s2i rebuild [--no-cache]\` | Builds the head commit again, even if its image exists; \`--no-cache\` also skips incremental artifacts. Deploys where a push of this branch would. | write access |
| \`/s2i deploy <environment>\` | Builds the head commit if needed and deploys it to the environment. | write access |
| \`/s2i rollback <environment> [<sha>]\` | Deploys the previous successful deploy (or the image of \`<sha>\`) again and pins the environment. | write access |
| \`/s2i unpin <environment>\` | Removes the pin: the next push deploys again. | write access |

Commands in quoted lines (\`>\`) and code blocks are ignored.`;
