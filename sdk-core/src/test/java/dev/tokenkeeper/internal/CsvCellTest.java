package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("CSV cells")
class CsvCellTest {
    @Test
    @DisplayName("a cell that a spreadsheet could read as a formula starts with a quote; others are left alone")
    void formulasAreNeutralised() {
        for (String formula : new String[] {
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\u0000=1",
            "\r=1",
            "\n=1",
            "\uFF1D1+1",
            "\uFF0B1",
            "\uFF0D1",
            "\uFF20SUM(A1)"
        }) {
            assertThat(DefaultTraceService.csvCell(formula)).as(formula).matches("(?s)\"?'.*");
        }
        assertThat(DefaultTraceService.csvCell("gpt-4o")).isEqualTo("gpt-4o");
        assertThat(DefaultTraceService.csvCell("a,b")).isEqualTo("\"a,b\"");
        assertThat(DefaultTraceService.csvCell("\n=1")).isEqualTo("\"'\n=1\"");
        assertThat(DefaultTraceService.csvCell(null)).isEmpty();
    }
}
