// Static files at start: the rules resolved once (after --chdir, so that relative paths mean what
// they say), their warnings logged, and the router given the master's file server when a mount
// exists. The workers get the same rules in CONFIG (worker-config.ts).
import type { Config } from '../config/config.ts';
import { log } from '../observe/log.ts';
import type { Router } from '../router/router.ts';
import { resolveStaticRules, servesStaticFiles, type StaticRules } from '../router/static/rules.ts';

export async function setUpStaticFiles(config: Config, router: Router): Promise<StaticRules> {
  const { rules, warnings } = resolveStaticRules(config);
  for (const warning of warnings) log(`warning: ${warning}`);
  if (servesStaticFiles(rules)) {
    // imported only now: a master without static mounts does not hold the file server and its packages
    const { StaticFiles } = await import('../router/static/files.ts');
    const limits = { revalidateMs: config.staticCachePaths * 1000, maxBytes: config.staticCacheSize, maxFileBytes: config.staticCacheMaxFile };
    router.serveFiles(new StaticFiles(rules, limits, router.staticDone));
  }
  return rules;
}
