-- DropForeignKey
ALTER TABLE "Image" DROP CONSTRAINT "Image_buildId_fkey";

-- AlterTable
ALTER TABLE "Image" ALTER COLUMN "buildId" DROP NOT NULL;

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE SET NULL ON UPDATE CASCADE;
