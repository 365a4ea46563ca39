import 'reflect-metadata';
import { bootstrap } from '../../berth/src/bootstrap';

bootstrap(['builder']).catch((error) => {
  console.error(error);
  process.exit(1);
});
