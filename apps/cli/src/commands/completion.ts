import { Command } from 'commander';
import { UsageError } from '../args';
import { line } from '../output';

/** A bash (or zsh, through bashcompinit) completion script for every command and its flags. */
export function completionScript(program: Command): string {
  const commands: readonly Command[] = program.commands;
  const cases = commands
    .map((c) => {
      const flags = [...c.options.flatMap((o: { short?: string; long?: string }) => [o.short, o.long]), '--help', '--api'].filter(Boolean).join(' ');
      return `    ${c.name()}) opts="${flags}" ;;`;
    })
    .join('\n');
  return `# berth completion: eval "$(berth completion bash)" (e.g. in ~/.bashrc)
_berth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" opts
  COMP_WORDBREAKS=\${COMP_WORDBREAKS//:}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name()).join(' ')} help" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="--help" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
[ -n "\${ZSH_VERSION:-}" ] && autoload -U +X bashcompinit && bashcompinit
complete -o default -F _berth berth
`;
}

export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: eval "$(berth completion bash)"')
    .argument('[shell]', 'bash or zsh', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`No completion for ${shell}: use bash or zsh`);
      line(completionScript(program));
    });
}
