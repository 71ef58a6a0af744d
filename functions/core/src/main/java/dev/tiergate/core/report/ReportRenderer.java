package dev.tiergate.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.money.Usd;

import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report in three forms: JSON for machines, CSV for spreadsheets, and one self-contained HTML page (inline CSS
 * and SVG charts, no scripts, no external assets) that opens from an e-mail attachment or an S3 link.
 */
public final class ReportRenderer {

    private final ObjectMapper json;

    public ReportRenderer(ObjectMapper json) {
        this.json = json;
    }

    public byte[] json(DailyReport r) {
        ObjectNode n = json.createObjectNode();
        n.put("date", r.date().toString());
        n.put("organization", r.organization());
        n.put("total_usd", r.total().plain());
        n.put("requests", r.requests());
        n.put("prompt_tokens", r.promptTokens());
        n.put("completion_tokens", r.completionTokens());
        n.put("cached_tokens", r.cachedTokens());
        n.put("cache_hit_rate", r.cacheHitRate());
        n.put("error_rate", r.errorRate());
        n.put("fallback_rate", r.fallbackRate());
        n.putObject("latency_ms").put("p50", r.latency().p50()).put("p95", r.latency().p95()).put("p99", r.latency().p99())
                .put("max", r.latency().max());
        breakdown(n.putArray("by_team"), r.byTeam());
        breakdown(n.putArray("by_user"), r.byUser());
        breakdown(n.putArray("by_tier"), r.byTier());
        breakdown(n.putArray("by_model"), r.byModel());
        ArrayNode hours = n.putArray("hourly_usd");
        r.hourlySpend().forEach(u -> hours.add(u.plain()));
        ObjectNode sav = n.putObject("savings");
        sav.put("top_tier", r.topTier());
        sav.put("top_tier_cost_usd", r.topTierCost().plain());
        sav.put("vs_top_tier_usd", r.savingsVsTopTier().plain());
        ObjectNode ref = sav.putObject("reference");
        r.referenceCosts().forEach((k, v) -> ref.putObject(k).put("cost_usd", v.plain()).put("savings_usd", v.minus(r.total()).plain()));
        ArrayNode b = n.putArray("budgets");
        for (DailyReport.BudgetUse u : r.budgets()) {
            b.addObject().put("scope", u.scope()).put("period", u.period()).put("spent_usd", u.spent().plain())
                    .put("limit_usd", u.limit().plain()).put("utilisation", u.utilisation()).put("level", u.level());
        }
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void breakdown(ArrayNode a, List<DailyReport.Breakdown> rows) {
        for (DailyReport.Breakdown b : rows) {
            a.addObject().put("name", b.name()).put("requests", b.requests()).put("prompt_tokens", b.promptTokens())
                    .put("completion_tokens", b.completionTokens()).put("cached_tokens", b.cachedTokens())
                    .put("cost_usd", b.cost().plain());
        }
    }

    /** One table: a row per group of each dimension, then the total; exact amounts. */
    public byte[] csv(DailyReport r) {
        StringBuilder sb = new StringBuilder("date,dimension,name,requests,prompt_tokens,completion_tokens,cached_tokens,cost_usd\n");
        Map<String, List<DailyReport.Breakdown>> dims = new java.util.LinkedHashMap<>();
        dims.put("team", r.byTeam());
        dims.put("user", r.byUser());
        dims.put("tier", r.byTier());
        dims.put("model", r.byModel());
        dims.forEach((dim, rows) -> rows.forEach(b -> sb.append(r.date()).append(',').append(dim).append(',')
                .append(csvField(b.name())).append(',').append(b.requests()).append(',').append(b.promptTokens()).append(',')
                .append(b.completionTokens()).append(',').append(b.cachedTokens()).append(',').append(b.cost().plain()).append('\n')));
        sb.append(r.date()).append(",total,all,").append(r.requests()).append(',').append(r.promptTokens()).append(',')
                .append(r.completionTokens()).append(',').append(r.cachedTokens()).append(',').append(r.total().plain()).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
    static String csvField(String v) {
        String s = !v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) return "\"" + s.replace("\"", "\"\"") + "\"";
        return s;
    }

    /**
     * Dollars for reading: to the cent from $1 up; below a dollar to 1/100 of a cent, because a day of small-tier traffic
     * can cost less than a cent and "$0.00" would hide it. The JSON and CSV carry every amount exactly.
     */
    public static String cents(Usd u) {
        java.math.BigDecimal a = u.amount().abs();
        String sign = u.amount().signum() < 0 ? "-" : "";
        if (a.compareTo(java.math.BigDecimal.ONE) >= 0) return sign + "$" + String.format(Locale.ROOT, "%,.2f", a.setScale(2, RoundingMode.HALF_EVEN));
        return sign + "$" + a.setScale(4, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", v * 100);
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    public byte[] html(DailyReport r) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
                .append("<title>tiergate daily cost report ").append(r.date()).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#1a1a1a;max-width:1000px}")
                .append("h1{font-size:22px}h2{font-size:16px;margin-top:28px}.kpis{display:flex;gap:12px;flex-wrap:wrap}")
                .append(".kpi{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:140px}.kpi b{display:block;font-size:20px}")
                .append("table{border-collapse:collapse;font-size:13px}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}")
                .append("td:first-child,th:first-child{text-align:left}.warning{color:#b26b00}.exceeded{color:#c00;font-weight:bold}")
                .append("</style></head><body>");
        h.append("<h1>Daily cost report: ").append(esc(r.organization())).append(", ").append(r.date()).append(" (UTC)</h1>");
        h.append("<div class=\"kpis\">");
        kpi(h, "total-spend", "Spend", cents(r.total()), r.total().plain());
        kpi(h, "requests", "Requests", String.format(Locale.ROOT, "%,d", r.requests()), null);
        kpi(h, "savings", "Saved vs all-" + esc(r.topTier()), cents(r.savingsVsTopTier()), r.savingsVsTopTier().plain());
        kpi(h, "cache-hit-rate", "Cache hit rate", pct(r.cacheHitRate()), null);
        kpi(h, "error-rate", "Errors", pct(r.errorRate()), null);
        kpi(h, "latency", "Latency p50 / p95 / p99", r.latency().p50() + " / " + r.latency().p95() + " / " + r.latency().p99() + " ms", null);
        h.append("</div>");
        h.append("<h2>Spend by hour (UTC)</h2>");
        hourly(h, r.hourlySpend());
        h.append("<h2>Spend by tier</h2>");
        bars(h, "chart-tier", r.byTier());
        h.append("<h2>Spend by team</h2>");
        bars(h, "chart-team", r.byTeam());
        h.append("<h2>Savings</h2><table id=\"savings\"><tr><th>If every request had gone to</th><th>It would have cost</th><th>Saved</th></tr>");
        h.append("<tr><td>").append(esc(r.topTier())).append(" (our priciest tier)</td><td>").append(cents(r.topTierCost()))
                .append("</td><td>").append(cents(r.savingsVsTopTier())).append("</td></tr>");
        r.referenceCosts().forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(cents(v))
                .append("</td><td>").append(cents(v.minus(r.total()))).append("</td></tr>"));
        h.append("</table>");
        table(h, "Teams", "table-team", r.byTeam());
        table(h, "Users", "table-user", r.byUser());
        table(h, "Models", "table-model", r.byModel());
        h.append("<h2>Budgets</h2>");
        if (r.budgets().isEmpty()) h.append("<p>No budgeted scope spent anything this day.</p>");
        else {
            h.append("<table id=\"budgets\"><tr><th>Scope</th><th>Period</th><th>Spent</th><th>Limit</th><th>Used</th></tr>");
            for (DailyReport.BudgetUse u : r.budgets()) {
                h.append("<tr class=\"").append(u.level()).append("\"><td>").append(esc(u.scope())).append("</td><td>")
                        .append(u.period()).append("</td><td>").append(cents(u.spent())).append("</td><td>").append(cents(u.limit()))
                        .append("</td><td>").append(pct(u.utilisation())).append("</td></tr>");
            }
            h.append("</table>");
        }
        h.append("<p style=\"color:#777;font-size:12px\">Fallback rate ").append(pct(r.fallbackRate()))
                .append(". Amounts are rounded here (to the cent from $1, to 1/100 cent below); the JSON and CSV carry them exactly.</p></body></html>");
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void kpi(StringBuilder h, String id, String label, String value, String exact) {
        h.append("<div class=\"kpi\" id=\"").append(id).append("\"").append(exact == null ? "" : " title=\"$" + exact + "\"")
                .append(">").append(label).append("<b>").append(value).append("</b></div>");
    }

    private static void table(StringBuilder h, String title, String id, List<DailyReport.Breakdown> rows) {
        h.append("<h2>").append(title).append("</h2><table id=\"").append(id)
                .append("\"><tr><th>Name</th><th>Requests</th><th>Prompt tokens</th><th>Completion tokens</th><th>Cached</th><th>Spend</th></tr>");
        for (DailyReport.Breakdown b : rows) {
            h.append("<tr><td>").append(esc(b.name())).append("</td><td>").append(b.requests()).append("</td><td>")
                    .append(b.promptTokens()).append("</td><td>").append(b.completionTokens()).append("</td><td>")
                    .append(b.cachedTokens()).append("</td><td>").append(cents(b.cost())).append("</td></tr>");
        }
        h.append("</table>");
    }

    private static final String[] PALETTE = {"#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00"};

    /** Horizontal bars, one per group, longest = priciest. */
    private static void bars(StringBuilder h, String id, List<DailyReport.Breakdown> rows) {
        int shown = Math.min(rows.size(), 12);
        int height = 26 * Math.max(shown, 1) + 10;
        double max = rows.stream().mapToDouble(b -> b.cost().amount().doubleValue()).max().orElse(0);
        h.append("<svg id=\"").append(id).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"").append(id).append("\">");
        for (int i = 0; i < shown; i++) {
            DailyReport.Breakdown b = rows.get(i);
            double w = max <= 0 ? 0 : 380 * b.cost().amount().doubleValue() / max;
            int y = 5 + 26 * i;
            h.append("<text x=\"0\" y=\"").append(y + 15).append("\" font-size=\"12\">").append(esc(abbreviate(b.name()))).append("</text>");
            h.append("<rect class=\"bar\" x=\"160\" y=\"").append(y).append("\" width=\"").append(String.format(Locale.ROOT, "%.1f", Math.max(w, 1)))
                    .append("\" height=\"20\" fill=\"").append(PALETTE[i % PALETTE.length]).append("\"><title>").append(esc(b.name()))
                    .append(": ").append(cents(b.cost())).append("</title></rect>");
            h.append("<text x=\"").append(String.format(Locale.ROOT, "%.1f", 166 + Math.max(w, 1))).append("\" y=\"").append(y + 15)
                    .append("\" font-size=\"12\">").append(cents(b.cost())).append("</text>");
        }
        h.append("</svg>");
    }

    private static String abbreviate(String s) {
        return s.length() <= 22 ? s : s.substring(0, 21) + "…";
    }

    /** 24 columns, one per UTC hour. */
    private static void hourly(StringBuilder h, List<Usd> hours) {
        double max = hours.stream().mapToDouble(u -> u.amount().doubleValue()).max().orElse(0);
        h.append("<svg id=\"chart-hourly\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"180\" role=\"img\" aria-label=\"chart-hourly\">");
        h.append("<line x1=\"30\" y1=\"150\" x2=\"630\" y2=\"150\" stroke=\"#999\"/>");
        for (int i = 0; i < 24; i++) {
            double v = hours.get(i).amount().doubleValue();
            double bh = max <= 0 ? 0 : 130 * v / max;
            double x = 32 + i * 25;
            h.append("<rect class=\"bar\" x=\"").append(String.format(Locale.ROOT, "%.1f", x)).append("\" y=\"")
                    .append(String.format(Locale.ROOT, "%.1f", 150 - bh)).append("\" width=\"20\" height=\"")
                    .append(String.format(Locale.ROOT, "%.1f", bh)).append("\" fill=\"#3366cc\"><title>")
                    .append(String.format(Locale.ROOT, "%02d:00", i)).append(" ").append(cents(hours.get(i))).append("</title></rect>");
            if (i % 3 == 0) {
                h.append("<text x=\"").append(String.format(Locale.ROOT, "%.1f", x)).append("\" y=\"166\" font-size=\"10\">")
                        .append(String.format(Locale.ROOT, "%02d", i)).append("</text>");
            }
        }
        h.append("<text x=\"0\" y=\"20\" font-size=\"10\">").append(cents(new Usd(java.math.BigDecimal.valueOf(max).setScale(Usd.SCALE, RoundingMode.HALF_EVEN))))
                .append("</text></svg>");
    }
}
