package org.lamaworker.worker.config;

/**
 * {@code inference.memoryBudget}: either a number of bytes or a percentage of the device's memory,
 * which only the worker can resolve once it knows its device. Exactly one of the two is set.
 *
 * @param bytes the budget in bytes, or 0 for a percentage
 * @param percent the share of the device's memory (1-100), or 0 for bytes
 */
public record MemoryBudgetSetting(long bytes, int percent) {
    /** Validates that exactly one form is given, in range. */
    public MemoryBudgetSetting {
        boolean isBytes = bytes > 0 && percent == 0;
        boolean isPercent = bytes == 0 && percent >= 1 && percent <= 100;
        if (!isBytes && !isPercent) {
            throw new ConfigException(
                    "inference.memoryBudget must be bytes > 0 or a percentage 1%-100%");
        }
    }

    /** A budget of so many bytes. */
    public static MemoryBudgetSetting ofBytes(long bytes) {
        return new MemoryBudgetSetting(bytes, 0);
    }

    /** A budget of a share of the device's memory. */
    public static MemoryBudgetSetting ofPercent(int percent) {
        return new MemoryBudgetSetting(0, percent);
    }

    /**
     * Parses {@code 8589934592}, {@code 8_589_934_592} or {@code 80%}.
     *
     * @throws ConfigException naming the key and both forms
     */
    public static MemoryBudgetSetting parse(String value) {
        try {
            if (value.endsWith("%")) {
                int percent = Integer.parseInt(value.substring(0, value.length() - 1).trim());
                if (percent < 1 || percent > 100) {
                    throw new NumberFormatException();
                }
                return ofPercent(percent);
            }
            long bytes = Long.parseLong(value.replace("_", ""));
            if (bytes <= 0) {
                throw new NumberFormatException();
            }
            return ofBytes(bytes);
        } catch (NumberFormatException e) {
            throw new ConfigException(
                    "inference.memoryBudget must be bytes (e.g. 8589934592) or a percentage of the"
                            + " device's memory (e.g. 80%), got '"
                            + value
                            + "'");
        }
    }

    /** Whether the budget needs the device's memory to be resolved. */
    public boolean isPercentage() {
        return percent > 0;
    }

    /**
     * The budget in bytes.
     *
     * @param deviceMemoryBytes the device's memory; read only for a percentage
     */
    public long resolve(long deviceMemoryBytes) {
        return isPercentage() ? deviceMemoryBytes * percent / 100 : bytes;
    }

    @Override
    public String toString() {
        return isPercentage() ? percent + "%" : bytes + " bytes";
    }
}
