/**
 * Small runnable programs that embed Meridian, each a {@code main} a reader can copy from; the
 * tests keep them, and the README's quick start, compiling and true. Not an API.
 */
package dev.meridian.examples;
