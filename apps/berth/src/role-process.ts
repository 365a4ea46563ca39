import 'reflect-metadata';
import { bootstrap } from './bootstrap';

// One supervised process of `npm start` (see main.ts): runs the roles the supervisor gave it in BERTH_ROLES.
bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
