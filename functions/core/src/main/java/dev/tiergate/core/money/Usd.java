package dev.tiergate.core.money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * An amount of US dollars, exact to 1e-12 (a price per million tokens has at most 6 decimals, so any token count
 * times a price is exact at this scale). Never a double: sums across the ledger, usage records and reports must agree
 * to the cent and beyond.
 */
public record Usd(BigDecimal amount) implements Comparable<Usd> {

    public static final int SCALE = 12;
    public static final Usd ZERO = new Usd(BigDecimal.ZERO);

    public Usd {
        Objects.requireNonNull(amount, "amount");
        amount = amount.setScale(SCALE, RoundingMode.UNNECESSARY);
    }

    public static Usd of(String plain) {
        return new Usd(new BigDecimal(plain));
    }

    public Usd plus(Usd other) {
        return new Usd(amount.add(other.amount));
    }

    public Usd minus(Usd other) {
        return new Usd(amount.subtract(other.amount));
    }

    public boolean isZero() {
        return amount.signum() == 0;
    }

    /** Plain notation without trailing zeros, e.g. {@code 0.000123}: what headers and JSON show. */
    public String plain() {
        BigDecimal s = amount.stripTrailingZeros();
        return s.signum() == 0 ? "0" : s.toPlainString();
    }

    @Override
    public int compareTo(Usd o) {
        return amount.compareTo(o.amount);
    }

    @Override
    public String toString() {
        return "$" + plain();
    }
}
