/**
 * Shell completion. Hand-rolled on purpose: commander has no completion generator, and the maintained
 * libraries (tabtab, omelette) install hooks that call the CLI on every <Tab>; a static script printed
 * from the command tree is a few lines and starts no Node process while typing.
 */
import { Argument, type Command } from 'commander';
import { CliError, exitCodes } from '../exitCodes.ts';
import type { Io } from '../Io.ts';

/** Every command path and the words that may follow it (subcommands and long options). */
function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const visit = (command: Command, path: string[]) => {
    const words = [...command.commands.map((child) => child.name()), ...command.options.map((option) => option.long).filter((flag): flag is string => Boolean(flag))];
    table.set(path.join(' '), words);
    for (const child of command.commands) visit(child, [...path, child.name()]);
  };
  visit(program, []);
  return table;
}

function bashScript(program: Command): string {
  const cases = [...completionTable(program)].map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`).join('\n');
  return `# novacron bash completion: eval "$(novacron completion bash)"
_novacron() {
  local cur path word words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in -*) ;; *) if [ -z "$path" ]; then candidate="$word"; else candidate="$path $word"; fi
      case "$candidate" in
${[...completionTable(program).keys()].filter(Boolean).map((path) => `        "${path}") path="$candidate" ;;`).join('\n')}
      esac ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _novacron novacron
`;
}

/** `completion [bash|zsh]`: prints a completion script to source from a shell profile. */
export function addCompletionCommand(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: eval "$(novacron completion bash)"')
    .addArgument(new Argument('[shell]', 'bash or zsh').choices(['bash', 'zsh']).default('bash'))
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`unknown shell ${shell}`, exitCodes.usage);
      // zsh reads bash completions through bashcompinit.
      io.stdout.write(shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bashScript(program)}` : bashScript(program));
    });
}
