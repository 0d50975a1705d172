export { FaultPlan } from './shared/FaultPlan.ts';
export type { EmulatedFault, EmulatedFaultKind } from './shared/FaultPlan.ts';
export { createLoopbackCertificate } from './shared/createLoopbackCertificate.ts';
export type { LoopbackCertificate } from './shared/createLoopbackCertificate.ts';
export { startEc2Emulator, emulatedAmis } from './ec2/startEc2Emulator.ts';
export type { Ec2Emulator, Ec2EmulatorOptions, Ec2Instance, Ec2State } from './ec2/startEc2Emulator.ts';
export { startGceEmulator, emulatedGceImages } from './gce/startGceEmulator.ts';
export type { GceEmulator, GceEmulatorOptions, GceInstance, GceStatus } from './gce/startGceEmulator.ts';
