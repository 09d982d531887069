/** Envoy's v3 xDS API translated into Meridian's configuration and back, and an ADS client. */
package dev.meridian.xds;
