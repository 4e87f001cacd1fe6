/**
 * `tsbcc ratelimit`: per-IP rate limiting from a policy file. Today: `check`, the complete
 * validation `apply` will run before it changes anything (the file, then the interfaces and
 * their IPv6 in the namespace), read-only.
 */
import type { Command } from 'commander';
import { checkPolicyHere } from '../deploy/ratelimit-host.js';
import { readPolicy } from '../deploy/ratelimit-policy.js';
import { TsbccError } from '../errors.js';

/** Adds `tsbcc ratelimit` to the CLI. */
export function registerRatelimitCommands(program: Command): void {
  const rl = program
    .command('ratelimit')
    .description('per-IP rate limiting from a policy file (docs/deploy.md)');
  rl.command('check')
    .argument('<policy>', 'policy file (YAML)')
    .option('--netns <ns>', 'network namespace the policy is for (name or path)')
    .option('--json', 'print the checked policy as JSON')
    .description('validate a policy completely (file, interfaces, IPv6) without changing anything')
    .action(async (file: string, opts: { netns?: string; json?: boolean }) => {
      try {
        const policy = readPolicy(file);
        await checkPolicyHere(policy, opts.netns);
        if (opts.json) {
          console.log(JSON.stringify(policy, (k, v: unknown) => (k === 'bytes' ? undefined : v), 2));
          return;
        }
        for (const d of policy.directions) {
          const classes = d.classes
            .map(
              (c) =>
                `${c.name} ${c.rate} bit/s (${c.prefixes.length} address${c.prefixes.length === 1 ? '' : 'es'})`,
            )
            .join(', ');
          console.log(
            `${d.interface} ${d.direction}: by ${d.match} address; ${classes}; default ${d.defaultClass ?? 'none (not limited)'}`,
          );
        }
        console.log(`${file}: ok`);
      } catch (e) {
        if (!(e instanceof TsbccError)) throw e;
        console.error(`tsbcc ratelimit: ${e.message}`);
        process.exitCode = 1;
      }
    });
}
