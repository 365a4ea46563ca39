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
CREATE INDEX "LogLine_environmentId_id_idx" ON "LogLine"("environmentId", "id");

-- The age trim deletes by time: lines are stored roughly in time order, so a BRIN index is tiny and enough.
CREATE INDEX "LogLine_time_brin_idx" ON "LogLine" USING BRIN ("time");
