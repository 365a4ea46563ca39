-- CreateTable
CREATE TABLE "LogLine" (
    "id" BIGSERIAL NOT NULL,
    "environmentId" UUID NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "processType" TEXT,
    "instance" TEXT,
    "release" INTEGER,
    "stream" TEXT,
    "text" TEXT NOT NULL,

    CONSTRAINT "LogLine_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LogLine_environmentId_time_idx" ON "LogLine"("environmentId", "time");

-- Text search (q) uses a trigram index, and the age trim a BRIN index on time.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "LogLine_text_trgm_idx" ON "LogLine" USING GIN ("text" gin_trgm_ops);
CREATE INDEX "LogLine_time_brin_idx" ON "LogLine" USING BRIN ("time");
