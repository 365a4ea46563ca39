import type { Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ApiModule } from '../../apps/api/src/api.module';

type ModuleRef = Type | { module: Type; imports?: ModuleRef[]; controllers?: Type[] };

function* controllersOf(ref: ModuleRef, seen = new Set<unknown>()): Generator<Type> {
  if (!ref || seen.has(ref)) return;
  seen.add(ref);
  const type = 'module' in ref ? ref.module : ref;
  const dynamic = 'module' in ref ? ref : undefined;
  yield* (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) ?? []) as Type[];
  yield* dynamic?.controllers ?? [];
  for (const child of [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) ?? []) as ModuleRef[]), ...(dynamic?.imports ?? [])]) {
    yield* controllersOf(child, seen);
  }
}

const normalize = (path: string) => `/${path}`.replace(/\/+/g, '/').replace(/\/$/, '').replace(/:[^/]+/g, ':');

/**
 * Whether the api role has a route, read from the modules' metadata without starting anything,
 * so a test can be defined as skipped while the feature it needs has not landed yet.
 */
export function apiHasRoute(method: keyof typeof RequestMethod, path: string): boolean {
  const wanted = normalize(path);
  for (const controller of controllersOf(ApiModule)) {
    const bases = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name];
      if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const routeMethod = Reflect.getMetadata(METHOD_METADATA, handler);
      if (routeMethod !== RequestMethod[method] && routeMethod !== RequestMethod.ALL) continue;
      const paths = [Reflect.getMetadata(PATH_METADATA, handler)].flat();
      if (bases.some((base) => paths.some((p: string) => normalize(`${base}/${p}`) === wanted))) return true;
    }
  }
  return false;
}
