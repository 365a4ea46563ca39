-- CreateTable
CREATE TABLE "LogDrain" (
    "id" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "cursor" BIGINT NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMP(3),
    "lastDeliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LogDrain_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LogDrain_environmentId_idx" ON "LogDrain"("environmentId");

-- AddForeignKey
ALTER TABLE "LogDrain" ADD CONSTRAINT "LogDrain_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
