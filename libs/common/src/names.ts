/**
 * Names that become part of URLs: app names, team names, environment slugs. Apps live at
 * <app>.<domain> and previews at <env>--<app>.<domain>, so both must be DNS labels and neither
 * may contain "--".
 */

/**
 * The label an environment answers at under Berth's domain, and the way back: one codec for
 * the name the API shows (apps Urls), the router resolves (RouteTableService) and custom
 * domains must not shadow (router domains/hostnames).
 */
export const environmentLabel = {
  /** `<app>` for production, `<env>--<app>` for the rest. */
  format(appName: string, envName: string, production: boolean): string {
    return production ? appName : `${envName}--${appName}`;
  },
  /** The app and environment a label names (`production` when it has no `--`), or null when it is no DNS label. */
  parse(label: string): { appName: string; envName: string } | null {
    if (!/^[a-z0-9-]{1,63}$/.test(label)) return null;
    const at = label.indexOf('--');
    return at < 0 ? { appName: label, envName: 'production' } : { appName: label.slice(at + 2), envName: label.slice(0, at) };
  },
  /** Whether `label` is the address of `appName` or one of its environments. */
  belongsTo(label: string, appName: string): boolean {
    return environmentLabel.parse(label)?.appName === appName;
  },
};

export const APP_NAME_MIN = 3;
export const APP_NAME_MAX = 30;
export const DNS_LABEL_MAX = 63;

/** Names that would clash with Berth's own hosts or confuse users. */
export const RESERVED_NAMES = new Set([
  'admin', 'api', 'app', 'apps', 'assets', 'auth', 'berth', 'cdn', 'dashboard', 'docs', 'git', 'help', 'internal',
  'localhost', 'login', 'mail', 'registry', 'root', 'router', 'static', 'status', 'support', 'system', 'www',
]);

/** Returns why `name` is not a valid app name, or null when it is. */
export function appNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'is required';
  if (name.length < APP_NAME_MIN || name.length > APP_NAME_MAX) return `must be ${APP_NAME_MIN} to ${APP_NAME_MAX} characters long`;
  if (!/^[a-z]/.test(name)) return 'must start with a lowercase letter';
  if (!/^[a-z0-9-]+$/.test(name)) return 'may contain only lowercase letters, digits and hyphens';
  if (name.includes('--')) return 'may not contain two hyphens in a row';
  if (name.endsWith('-')) return 'may not end with a hyphen';
  if (RESERVED_NAMES.has(name)) return `"${name}" is reserved; choose another name`;
  return null;
}

/** Team names follow the same rules as app names but may be longer. */
export function teamNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'is required';
  if (name.length < 3 || name.length > 40) return 'must be 3 to 40 characters long';
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(name) || name.includes('--')) {
    return 'must start with a lowercase letter and contain only lowercase letters, digits and single hyphens';
  }
  return null;
}

/** Lowercase, every run of other characters to one hyphen, no hyphen at either end. */
export function slugify(value: string): string {
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The environment name for a git branch: a slug short enough that `<env>--<app>` fits one
 * DNS label, made unique against `taken` by a numeric suffix.
 */
export function environmentSlug(branch: string, appName: string, taken: ReadonlySet<string> = new Set()): string {
  const room = DNS_LABEL_MAX - appName.length - 2;
  let base = slugify(branch);
  if (!/^[a-z]/.test(base)) base = `b-${base}`.replace(/-+$/, '');
  if (base === 'b') base = 'branch';
  const fit = (s: string, max: number) => s.slice(0, max).replace(/-+$/, '');
  let candidate = fit(base, room);
  for (let n = 2; taken.has(candidate) || candidate === 'production'; n++) {
    const suffix = `-${n}`;
    candidate = fit(base, room - suffix.length) + suffix;
  }
  return candidate;
}

/** POSIX environment variable names: letters, digits and underscores, not starting with a digit. */
export const CONFIG_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONFIG_KEY_MAX = 255;

export function configKeyProblem(key: string): string | null {
  if (key.length === 0) return 'names may not be empty';
  if (key.length > CONFIG_KEY_MAX) return `names may be at most ${CONFIG_KEY_MAX} characters`;
  if (!CONFIG_KEY_PATTERN.test(key)) return 'must be a POSIX environment variable name: letters, digits and _, not starting with a digit';
  return null;
}

/**
 * Control characters (NUL, newlines, escapes …) never belong in a name or an id, and PostgreSQL
 * refuses NUL in text outright, so a name carrying one is refused as a whole request.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}
