-- Requests (what placement books) beside limits (the cgroup ceilings). Null books the limit,
-- as every existing row did.
-- AlterTable
ALTER TABLE "FormationEntry" ADD COLUMN     "cpuRequestMillis" INTEGER,
ADD COLUMN     "memoryRequestMb" INTEGER;

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "cpuRequestMillis" INTEGER,
ADD COLUMN     "memoryRequestMb" INTEGER;
