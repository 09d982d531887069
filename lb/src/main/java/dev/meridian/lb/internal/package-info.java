/**
 * The pick-path side of {@code dev.meridian.lb}: snapshots, Envoy's priority-load arithmetic,
 * hash tables and the planner. Not API: these types may change without notice.
 */
package dev.meridian.lb.internal;
