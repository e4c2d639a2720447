"""Numbers from data: summaries, NPS statistics, loyalty stages and types, drivers, text
themes, CLV and churn models. Inputs and outputs are data frames."""
