-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "previousAddress" TEXT,
ADD COLUMN     "previousHostId" UUID,
ADD COLUMN     "previousPort" INTEGER;
