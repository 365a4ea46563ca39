import type { BerthConfigShape } from './config';

/**
 * Injection token and type of the validated configuration. Inject it as
 * `constructor(private readonly config: BerthConfig)`.
 */
export abstract class BerthConfig {}
// Declaration merging gives the abstract class the shape of the parsed configuration.
export interface BerthConfig extends BerthConfigShape {}
