-- CreateIndex
CREATE INDEX "LogLine_environmentId_time_idx" ON "LogLine"("environmentId", "time");
