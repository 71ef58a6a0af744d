package dev.tiergate.core.observability;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes personal data and credentials from text before it may be logged: e-mail addresses, phone numbers, payment
 * card numbers (only digit runs that pass the Luhn check, so order numbers survive), US social security numbers (only
 * valid area/group/serial ranges), AWS access key ids and secret keys, bearer tokens and tiergate's own keys. Each
 * finding becomes a tag such as {@code [EMAIL]}, so the log still reads.
 *
 * <p>Order matters: credentials first (they may contain digits), then cards (a card's groups look like a phone number),
 * then SSNs, then phones.
 */
public final class PiiRedactor {

    private record Rule(String tag, Pattern pattern, boolean luhn) {
    }

    private static final List<Rule> RULES = List.of(
            new Rule("[BEARER_TOKEN]", Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9\\-._~+/]+=*"), false),
            new Rule("[TIERGATE_KEY]", Pattern.compile("\\btg-[A-Za-z0-9_-]{20,}"), false),
            new Rule("[AWS_ACCESS_KEY]", Pattern.compile("\\b(?:AKIA|ASIA|AIDA|AROA|ANPA|AGPA)[A-Z0-9]{16}\\b"), false),
            new Rule("[AWS_SECRET_KEY]", Pattern.compile(
                    "(?i)(?<=aws_secret_access_key[\"']?\\s{0,3}[:=]\\s{0,3}[\"']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"), false),
            // Character classes with bounded lengths, not nested groups: a hostile "a@b.b.b.…" cannot blow the stack.
            new Rule("[EMAIL]", Pattern.compile("(?i)[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-][\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~.-]{0,63}"
                    + "@[a-z0-9][a-z0-9.-]{0,252}\\.[a-z]{2,24}\\b"), false),
            // Card layouts as printed: 13-19 digits, 4-4-4-4(-3), or Amex 4-6-5, one separator throughout.
            new Rule("[CARD]", Pattern.compile("(?<![\\d-])(?:\\d{13,19}|\\d{4}([ -])\\d{4}\\1\\d{4}\\1\\d{1,4}(?:\\1\\d{3})?"
                    + "|\\d{4}([ -])\\d{6}\\2\\d{5})(?![\\d-])"), true),
            new Rule("[SSN]", Pattern.compile("(?<![\\d-])(?!000|666|9\\d\\d)\\d{3}([- ]?)(?!00)\\d{2}\\1(?!0000)\\d{4}(?![\\d-])"), false),
            new Rule("[PHONE]", Pattern.compile(
                    "(?<![\\w.+-])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?|\\d{2,4}[ .-])\\d{3,4}[ .-]\\d{3,4}(?![\\w-]|\\.\\d)"
                            + "|(?<![\\w+])\\+\\d{8,15}\\b"), false));

    public String redact(String text) {
        String out = text;
        for (Rule r : RULES) out = apply(r, out);
        return out;
    }

    private static String apply(Rule rule, String text) {
        Matcher m = rule.pattern().matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        boolean any = false;
        while (m.find()) {
            if (rule.luhn() && !luhn(m.group())) continue;
            m.appendReplacement(sb, Matcher.quoteReplacement(rule.tag()));
            any = true;
        }
        if (!any) return text;
        m.appendTail(sb);
        return sb.toString();
    }

    /** The Luhn check over the digits, ignoring separators. */
    static boolean luhn(String candidate) {
        int sum = 0;
        boolean twice = false;
        for (int i = candidate.length() - 1; i >= 0; i--) {
            char c = candidate.charAt(i);
            if (c < '0' || c > '9') continue;
            int d = c - '0';
            if (twice) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }
}
