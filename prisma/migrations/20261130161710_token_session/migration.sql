-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "session" BOOLEAN NOT NULL DEFAULT false;
