import { Module } from '@nestjs/common';
import { LogStoreModule } from '@berth/logs';
import { MetricStoreModule } from '@berth/metrics';
import { Notifier } from '@berth/contracts';
import { AppNetworks } from './app-networks';
import { Cgroups } from './cgroups';
import { ContainerRuntime } from './container-runtime';
import { HostRegistration } from './host-registration';
import { InstanceDisks } from './instance-disks';
import { KernelLog } from './kernel-log';
import { LogShipper } from './log-shipper';
import { Machine } from './machine';
import { Reconciler } from './reconciler';
import { CrashDiagnosis } from './reconcile/crash-diagnosis';
import { DeletedAppsPruner } from './reconcile/deleted-apps-pruner';
import { ReconcileExecutor } from './reconcile/executor';
import { InstanceHealth } from './reconcile/instance-health';
import { InstanceLauncher } from './reconcile/instance-launcher';
import { UsageSampler } from './reconcile/usage-sampler';
import { WantedRows } from './reconcile/wanted-rows';
import { TcpProbe } from './tcp-probe';

/** The host agent: registers this host, heartbeats, runs and watches its containers (the agent role). */
@Module({
  imports: [LogStoreModule, MetricStoreModule],
  providers: [LogShipper, Machine, KernelLog, Cgroups, InstanceDisks, ContainerRuntime, AppNetworks, TcpProbe, HostRegistration, Reconciler, Notifier,
    InstanceHealth, UsageSampler, InstanceLauncher, DeletedAppsPruner, CrashDiagnosis, ReconcileExecutor, WantedRows],
  exports: [ContainerRuntime, AppNetworks, HostRegistration, Reconciler, Machine],
})
export class HostAgentModule {}
