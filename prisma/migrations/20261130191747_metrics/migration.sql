-- CreateTable
CREATE TABLE "RequestMetricMinute" (
    "environmentId" UUID NOT NULL,
    "minute" TIMESTAMPTZ(0) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "status2xx" INTEGER NOT NULL DEFAULT 0,
    "status3xx" INTEGER NOT NULL DEFAULT 0,
    "status4xx" INTEGER NOT NULL DEFAULT 0,
    "status5xx" INTEGER NOT NULL DEFAULT 0,
    "latency" INTEGER[],

    CONSTRAINT "RequestMetricMinute_pkey" PRIMARY KEY ("environmentId","minute")
);

-- CreateTable
CREATE TABLE "InstanceMetricMinute" (
    "environmentId" UUID NOT NULL,
    "instance" TEXT NOT NULL,
    "minute" TIMESTAMPTZ(0) NOT NULL,
    "samples" INTEGER NOT NULL DEFAULT 0,
    "cpuPercent" DOUBLE PRECISION,
    "memoryMb" DOUBLE PRECISION,
    "memoryLimitMb" INTEGER NOT NULL,
    "restarts" INTEGER NOT NULL DEFAULT 0,
    "oomKills" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "InstanceMetricMinute_pkey" PRIMARY KEY ("environmentId","instance","minute")
);

-- CreateIndex
CREATE INDEX "RequestMetricMinute_minute_idx" ON "RequestMetricMinute"("minute");

-- CreateIndex
CREATE INDEX "InstanceMetricMinute_minute_idx" ON "InstanceMetricMinute"("minute");
