package dev.tiergate.local.bench;

import java.util.List;
import java.util.Locale;

/** A small SVG of latency (p50 and p99) against achieved throughput, one point per load level. */
public final class BenchPlot {

    /** One load level: concurrency (or rate), throughput, p50 and p99 in ms. */
    public record Point(String level, double throughput, double p50Ms, double p99Ms) {}

    private BenchPlot() {
    }

    public static String svg(String title, List<Point> points) {
        double maxX = points.stream().mapToDouble(Point::throughput).max().orElse(1) * 1.1;
        double maxY = points.stream().mapToDouble(Point::p99Ms).max().orElse(1) * 1.1;
        int w = 640, h = 400, left = 60, bottom = 50, top = 40, right = 20;
        double pw = w - left - right, ph = h - top - bottom;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">", w, h));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>", left, esc(title)));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", left, h - bottom, w - right, h - bottom));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", left, top, left, h - bottom));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">requests/s (max %.0f)</text>", w / 2 - 40, h - 12, maxX / 1.1));
        s.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" transform=\"rotate(-90 8,%d)\">latency ms (max %.2f)</text>", h / 2 + 40, h / 2 + 40, maxY / 1.1));
        line(s, points, true, left, top, pw, ph, maxX, maxY, "#3366cc", "p50");
        line(s, points, false, left, top, pw, ph, maxX, maxY, "#dc3912", "p99");
        for (Point p : points) {
            double x = left + pw * p.throughput() / maxX;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%s</text>", x - 6, h - bottom + 14, esc(p.level())));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#3366cc\">p50</text><text x=\"%d\" y=\"%d\" fill=\"#dc3912\">p99</text>",
                w - 80, top + 10, w - 50, top + 10));
        return s.append("</svg>").toString();
    }

    private static void line(StringBuilder s, List<Point> points, boolean p50, int left, int top, double pw, double ph, double maxX,
                             double maxY, String color, String name) {
        StringBuilder d = new StringBuilder();
        for (Point p : points) {
            double x = left + pw * p.throughput() / maxX;
            double y = top + ph - ph * (p50 ? p.p50Ms() : p.p99Ms()) / maxY;
            d.append(d.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            s.append(String.format(Locale.ROOT, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", name, x, y, color));
        }
        s.append("<path d=\"").append(d).append("\" fill=\"none\" stroke=\"").append(color).append("\"/>");
    }

    private static String esc(String v) {
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
