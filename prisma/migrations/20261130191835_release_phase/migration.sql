-- AlterTable
ALTER TABLE "Release" ADD COLUMN     "releasePhaseEndedAt" TIMESTAMP(3),
ADD COLUMN     "releasePhaseStartedAt" TIMESTAMP(3);
