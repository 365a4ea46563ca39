import 'reflect-metadata';
import { bootstrap } from './bootstrap';

// Runs the roles named in BERTH_ROLES (all of them by default) in this one process.
bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
