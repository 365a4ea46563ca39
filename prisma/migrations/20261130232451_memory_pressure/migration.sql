-- CreateEnum
CREATE TYPE "SleepCause" AS ENUM ('idle', 'memory_pressure');

-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "sleepCause" "SleepCause";

-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "availableMemoryMb" INTEGER;
