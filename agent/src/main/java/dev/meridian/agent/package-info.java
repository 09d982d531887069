/**
 * {@link dev.meridian.agent.Agent}, the VM agent behind {@code meridian agent}: its configuration
 * ({@link dev.meridian.agent.AgentConfig}, read from {@code agent.yaml}), the plan a listener's
 * {@code Cluster} runs for the VM ({@link dev.meridian.agent.LocalityPlan}), and the TCP and HTTP/1.1
 * forwarding on a fixed set of Netty event loops. See {@code docs/agent.md}.
 */
package dev.meridian.agent;
