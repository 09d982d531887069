/**
 * The {@code meridian} command line ({@link dev.meridian.cli.Main}): {@code plan} explains one
 * decision as JSON, {@code simulate} runs the simulator. Configuration errors print one line on
 * stderr and exit with status 2. Not an API: only the command's behaviour is stable.
 */
package dev.meridian.cli;
