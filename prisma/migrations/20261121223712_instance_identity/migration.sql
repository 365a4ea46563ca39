-- CreateIndex
CREATE UNIQUE INDEX "Instance_releaseId_processType_index_key" ON "Instance"("releaseId", "processType", "index");
