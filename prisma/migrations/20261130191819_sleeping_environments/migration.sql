-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "lastRequestAt" TIMESTAMP(3),
ADD COLUMN     "sleepAfterMinutes" INTEGER,
ADD COLUMN     "sleepingSince" TIMESTAMP(3);
