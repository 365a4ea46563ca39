/** See env.mjs: fills unset variables from .env as the platform does. */
export declare function loadEnvFile(): void;
