import 'reflect-metadata';
import { bootstrap } from '../../berth/src/bootstrap';

bootstrap(['api']).catch((error) => {
  console.error(error);
  process.exit(1);
});
