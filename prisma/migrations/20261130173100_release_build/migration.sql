-- A release records the build it deploys (unique, so a build is released at most once).
ALTER TABLE "Release" ADD COLUMN     "buildId" UUID;

CREATE UNIQUE INDEX "Release_buildId_key" ON "Release"("buildId");

ALTER TABLE "Release" ADD CONSTRAINT "Release_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Releases made before this: each "Deploy <sha>" release belongs to the newest succeeded build of
-- its environment and image made before it, each build to one release at most. The sweep that
-- releases succeeded builds with no release then finds nothing old to release.
UPDATE "Release" r SET "buildId" = m.build_id
FROM (
  SELECT DISTINCT ON (pairs.build_id) pairs.build_id, pairs.release_id
  FROM (
    SELECT DISTINCT ON (r2.id) r2.id AS release_id, r2."createdAt" AS released_at, b.id AS build_id
    FROM "Release" r2
    JOIN "Build" b ON b."environmentId" = r2."environmentId" AND b."imageId" = r2."imageId" AND b."createdAt" <= r2."createdAt" AND b.status = 'succeeded'
    WHERE r2.description LIKE 'Deploy %'
    ORDER BY r2.id, b."createdAt" DESC
  ) pairs
  ORDER BY pairs.build_id, pairs.released_at ASC
) m
WHERE r.id = m.release_id;
