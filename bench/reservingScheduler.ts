/**
 * The reserving scheduler (one reservation for a blocked multi-CPU action, "EASY backfilling",
 * and heap-ordered ready queues) was proposed here, measured with the virtual clock in
 * schedulerBench, and then adopted by engine/schedule/scheduler.ts. This name stays for the benchmark
 * tables and tests that compare "proposed" with "engine": both are now the same code.
 */
import { schedule, type SchedulerOptions } from '../engine/schedule/scheduler.js';

export interface ReservingOptions extends SchedulerOptions {}

export const scheduleWithReservation = schedule;
