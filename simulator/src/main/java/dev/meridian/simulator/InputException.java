package dev.meridian.simulator;

/**
 * A bad scenario: names the file, the field and the value in one line, which the command line
 * prints on stderr before exiting with status 2. An {@link IllegalArgumentException}, as every
 * configuration error in Meridian is.
 */
public final class InputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InputException(String source, String message) {
        super(source + ": " + message);
    }
}
