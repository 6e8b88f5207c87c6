// Human ratings: upsert/list, per-model means with Student-t intervals, inter-rater agreement
// as Krippendorff's alpha (interval and ordinal); blind presentation orders, reveals, pairwise
// preferences and the user messages raters are shown.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "core/store/sql.h"
#include "core/store/store.h"

namespace tb::store {

using detail::Stmt;
using detail::Transaction;

namespace {

const char* const kCriteria[] = {"relevance", "coherence", "fluency", "completeness"};

int criterion_value(const RatingRow& r, int c) {
    switch (c) {
        case 0:
            return r.relevance;
        case 1:
            return r.coherence;
        case 2:
            return r.fluency;
        default:
            return r.completeness;
    }
}

// Continued fraction of the regularized incomplete beta (modified Lentz, Numerical Recipes
// 6.4); converges quickly for x < (a + 1) / (a + b + 2).
double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (std::fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 300; ++m) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d;
        if (std::fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (std::fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d;
        if (std::fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (std::fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1.0) < 1e-15) break;
    }
    return h;
}

double incomplete_beta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                  a * std::log(x) + b * std::log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

// P(T <= t) for Student's t with df degrees of freedom.
double student_t_cdf(double t, double df) {
    const double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    return t >= 0 ? 1.0 - tail : tail;
}

std::optional<int64_t> opt_flag(const std::optional<bool>& b) {
    return b ? std::optional<int64_t>(*b ? 1 : 0) : std::nullopt;
}

std::optional<bool> col_flag(const Stmt& st, int i) {
    return st.col_null(i) ? std::nullopt : std::optional<bool>(st.col_int(i) != 0);
}

}  // namespace

double student_t_quantile(double p, double df) {
    if (p == 0.5) return 0.0;
    if (p < 0.5) return -student_t_quantile(1.0 - p, df);
    double lo = 0.0, hi = 1.0;
    while (student_t_cdf(hi, df) < p && hi < 1e12) hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * std::max(1.0, hi); ++i) {
        const double mid = 0.5 * (lo + hi);
        (student_t_cdf(mid, df) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

std::optional<double> krippendorff_alpha(const std::vector<std::vector<double>>& units,
                                         AlphaMetric metric) {
    // The distinct values occurring in pairable units, sorted (ordinal ranks follow this).
    std::vector<double> values;
    for (const auto& u : units)
        if (u.size() >= 2) values.insert(values.end(), u.begin(), u.end());
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    const size_t V = values.size();
    if (V == 0) return std::nullopt;
    auto index_of = [&](double v) {
        return static_cast<size_t>(std::lower_bound(values.begin(), values.end(), v) -
                                   values.begin());
    };
    // Coincidence matrix o_ck and marginals n_c.
    std::vector<double> o(V * V, 0.0);
    for (const auto& u : units) {
        const size_t m = u.size();
        if (m < 2) continue;
        for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < m; ++j)
                if (i != j) o[index_of(u[i]) * V + index_of(u[j])] += 1.0 / (m - 1.0);
    }
    std::vector<double> nc(V, 0.0);
    double n = 0;
    for (size_t c = 0; c < V; ++c) {
        for (size_t k = 0; k < V; ++k) nc[c] += o[c * V + k];
        n += nc[c];
    }
    auto delta2 = [&](size_t c, size_t k) -> double {
        if (c == k) return 0.0;
        switch (metric) {
            case AlphaMetric::Nominal:
                return 1.0;
            case AlphaMetric::Interval:
                return (values[c] - values[k]) * (values[c] - values[k]);
            case AlphaMetric::Ordinal: {
                const size_t a = std::min(c, k), b = std::max(c, k);
                double s = 0;
                for (size_t g = a; g <= b; ++g) s += nc[g];
                s -= (nc[a] + nc[b]) / 2.0;
                return s * s;
            }
        }
        return 0.0;
    };
    double observed = 0, expected = 0;
    for (size_t c = 0; c < V; ++c)
        for (size_t k = 0; k < V; ++k) {
            const double d = delta2(c, k);
            observed += o[c * V + k] * d;
            expected += nc[c] * nc[k] * d;
        }
    if (expected <= 0 || n <= 1) return std::nullopt;
    // alpha = 1 - D_o / D_e with D_o = observed / n and D_e = expected / (n (n - 1)).
    return 1.0 - (n - 1.0) * observed / expected;
}

Status Store::upsert_rating(const RatingRow& row) {
    for (int c = 0; c < 4; ++c) {
        const int v = criterion_value(row, c);
        if (v < 1 || v > 5)
            return Error{path_ + ": ratings." + kCriteria[c] + ": " + std::to_string(v) +
                         " is outside 1..5 (rater " + row.rater + ", item " + row.item_id +
                         ", model " + row.model + ")"};
    }
    if (row.rater.empty() || row.item_id.empty() || row.model.empty())
        return Error{path_ + ": ratings: rater, item_id and model must be non-empty"};
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            "INSERT INTO ratings (rater, item_id, model, relevance, coherence, fluency, "
            "completeness, notes, rated_at, eval_id, blind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?9, ?10) ON CONFLICT (rater, eval_id, "
            "item_id, model) DO UPDATE SET relevance = excluded.relevance, coherence = "
            "excluded.coherence, fluency = excluded.fluency, completeness = "
            "excluded.completeness, notes = excluded.notes, rated_at = excluded.rated_at, "
            "blind = excluded.blind");
    st.bind(1, row.rater).bind(2, row.item_id).bind(3, row.model);
    st.bind(4, row.relevance).bind(5, row.coherence).bind(6, row.fluency);
    st.bind(7, row.completeness).bind(8, row.notes).bind(9, row.eval_id);
    st.bind(10, opt_flag(row.blind));
    TB_TRY_STATUS(st.run());
    return tx.commit();
}

Result<std::vector<RatingRow>> Store::list_ratings(const std::string& model,
                                                   int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT rater, item_id, model, relevance, coherence, fluency, completeness, notes, "
            "rated_at, eval_id, blind FROM ratings WHERE (?1 = '' OR model = ?1) AND (?2 < 0 OR "
            "eval_id = ?2) ORDER BY model, eval_id, item_id, rater");
    st.bind(1, model).bind(2, eval_id);
    std::vector<RatingRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        RatingRow r;
        r.rater = st.col_text(0);
        r.item_id = st.col_text(1);
        r.model = st.col_text(2);
        r.relevance = static_cast<int>(st.col_int(3));
        r.coherence = static_cast<int>(st.col_int(4));
        r.fluency = static_cast<int>(st.col_int(5));
        r.completeness = static_cast<int>(st.col_int(6));
        r.notes = st.col_text(7);
        r.rated_at = st.col_text(8);
        r.eval_id = st.col_int(9);
        r.blind = col_flag(st, 10);
        out.push_back(std::move(r));
    }
    return out;
}

Result<RatingsSummary> Store::ratings_summary(int64_t eval_id) const {
    TB_ASSIGN_OR_RETURN(std::vector<RatingRow> rows, list_ratings("", eval_id));
    RatingsSummary out;
    std::map<std::string, std::vector<const RatingRow*>> by_model;
    for (const auto& r : rows) by_model[r.model].push_back(&r);
    for (const auto& [model, rs] : by_model) {
        ModelRatingSummary ms;
        ms.model = model;
        for (int c = 0; c < 4; ++c) {
            CriterionSummary cs;
            cs.criterion = kCriteria[c];
            cs.n = static_cast<int64_t>(rs.size());
            double sum = 0;
            for (const auto* r : rs) sum += criterion_value(*r, c);
            cs.mean = sum / static_cast<double>(cs.n);
            cs.ci_lo = cs.ci_hi = cs.mean;
            if (cs.n >= 2) {
                double ss = 0;
                for (const auto* r : rs) ss += std::pow(criterion_value(*r, c) - cs.mean, 2);
                const double sd = std::sqrt(ss / static_cast<double>(cs.n - 1));
                const double half = student_t_quantile(0.975, static_cast<double>(cs.n - 1)) * sd /
                                    std::sqrt(static_cast<double>(cs.n));
                cs.ci_lo = cs.mean - half;
                cs.ci_hi = cs.mean + half;
            }
            ms.criteria.push_back(cs);
        }
        out.models.push_back(std::move(ms));
    }
    // Agreement: a unit is one answer (evaluation, item, model); its values are the raters'
    // scores.
    std::map<std::tuple<int64_t, std::string, std::string>, std::vector<const RatingRow*>> units;
    for (const auto& r : rows) units[{r.eval_id, r.item_id, r.model}].push_back(&r);
    for (int c = 0; c < 4; ++c) {
        std::vector<std::vector<double>> data;
        AgreementSummary a;
        a.criterion = kCriteria[c];
        for (const auto& [key, rs] : units) {
            std::vector<double> u;
            for (const auto* r : rs) u.push_back(criterion_value(*r, c));
            if (u.size() >= 2) ++a.pairable_units;
            data.push_back(std::move(u));
        }
        a.alpha_interval = krippendorff_alpha(data, AlphaMetric::Interval);
        a.alpha_ordinal = krippendorff_alpha(data, AlphaMetric::Ordinal);
        out.agreement.push_back(a);
    }
    return out;
}

// --- blind order, reveal, preferences ---------------------------------------------------------

Status Store::add_rating_orders(const std::vector<RatingOrderRow>& rows) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    // An item whose order is stored keeps it: only items without any row get the new one,
    // decided per item inside the write lock (two sessions of one rater cannot mix orders).
    Stmt has(db_, path_,
             "SELECT 1 FROM rating_orders WHERE rater = ?1 AND eval_id = ?2 AND item_id = ?3 "
             "LIMIT 1");
    Stmt ins(db_, path_,
             "INSERT INTO rating_orders (rater, eval_id, item_id, position, model, seed, "
             "assigned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%fZ', "
             "'now'))");
    std::map<std::tuple<std::string, int64_t, std::string>, bool> fresh;
    for (const auto& r : rows) {
        if (r.rater.empty() || r.item_id.empty() || r.model.empty() || r.position < 0)
            return Error{path_ +
                         ": rating_orders: rater, item_id, model must be non-empty and "
                         "position >= 0 (item " +
                         r.item_id + ")"};
        const auto key = std::make_tuple(r.rater, r.eval_id, r.item_id);
        auto it = fresh.find(key);
        if (it == fresh.end()) {
            has.bind(1, r.rater).bind(2, r.eval_id).bind(3, r.item_id);
            TB_ASSIGN_OR_RETURN(bool exists, has.step());
            sqlite3_reset(has.raw());
            sqlite3_clear_bindings(has.raw());
            it = fresh.emplace(key, !exists).first;
        }
        if (!it->second) continue;
        ins.bind(1, r.rater).bind(2, r.eval_id).bind(3, r.item_id).bind(4, r.position);
        ins.bind(5, r.model).bind(6, static_cast<int64_t>(r.seed));
        TB_TRY_STATUS(ins.run());
    }
    return tx.commit();
}

Result<std::vector<RatingOrderRow>> Store::rating_orders(const std::string& rater,
                                                         int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT rater, eval_id, item_id, position, model, seed, assigned_at FROM "
            "rating_orders WHERE rater = ?1 AND eval_id = ?2 ORDER BY MIN(rowid) OVER (PARTITION "
            "BY item_id), position");
    st.bind(1, rater).bind(2, eval_id);
    std::vector<RatingOrderRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        RatingOrderRow r;
        r.rater = st.col_text(0);
        r.eval_id = st.col_int(1);
        r.item_id = st.col_text(2);
        r.position = static_cast<int>(st.col_int(3));
        r.model = st.col_text(4);
        r.seed = static_cast<uint32_t>(st.col_int(5));
        r.assigned_at = st.col_text(6);
        out.push_back(std::move(r));
    }
    return out;
}

Status Store::reveal_ratings(const std::string& rater, int64_t eval_id) {
    if (rater.empty()) return Error{path_ + ": rating_reveals: rater must be non-empty"};
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            "INSERT OR IGNORE INTO rating_reveals (rater, eval_id, revealed_at) VALUES (?1, ?2, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    st.bind(1, rater).bind(2, eval_id);
    TB_TRY_STATUS(st.run());
    return tx.commit();
}

Result<std::optional<std::string>> Store::ratings_revealed_at(const std::string& rater,
                                                              int64_t eval_id) const {
    Stmt st(db_, path_, "SELECT revealed_at FROM rating_reveals WHERE rater = ?1 AND eval_id = ?2");
    st.bind(1, rater).bind(2, eval_id);
    TB_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(st.col_text(0));
}

Status Store::upsert_preference(const PreferenceRow& row) {
    if (row.choice != "a" && row.choice != "b" && row.choice != "tie")
        return Error{path_ + ": preferences.choice: '" + row.choice +
                     "' is not a, b or tie (rater " + row.rater + ", item " + row.item_id + ")"};
    if (row.rater.empty() || row.item_id.empty() || row.model_a.empty() || row.model_b.empty())
        return Error{path_ + ": preferences: rater, item_id and both models must be non-empty"};
    if (row.model_a == row.model_b)
        return Error{path_ + ": preferences: model_a and model_b are both '" + row.model_a +
                     "' (item " + row.item_id + ")"};
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    // The pair is unordered in the key: the same two outputs answered again (even shown in
    // the other order) replace the earlier answer.
    Stmt st(db_, path_,
            "INSERT INTO preferences (rater, eval_id, item_id, model_a, model_b, choice, blind, "
            "rated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%fZ', "
            "'now')) ON CONFLICT (rater, eval_id, item_id, min(model_a, model_b), max(model_a, "
            "model_b)) DO UPDATE SET model_a = excluded.model_a, model_b = excluded.model_b, "
            "choice = excluded.choice, blind = excluded.blind, rated_at = excluded.rated_at");
    st.bind(1, row.rater).bind(2, row.eval_id).bind(3, row.item_id).bind(4, row.model_a);
    st.bind(5, row.model_b).bind(6, row.choice).bind(7, opt_flag(row.blind));
    TB_TRY_STATUS(st.run());
    return tx.commit();
}

Result<std::vector<PreferenceRow>> Store::list_preferences(int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT rater, eval_id, item_id, model_a, model_b, choice, blind, rated_at FROM "
            "preferences WHERE (?1 < 0 OR eval_id = ?1) ORDER BY eval_id, rater, rowid");
    st.bind(1, eval_id);
    std::vector<PreferenceRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        PreferenceRow r;
        r.rater = st.col_text(0);
        r.eval_id = st.col_int(1);
        r.item_id = st.col_text(2);
        r.model_a = st.col_text(3);
        r.model_b = st.col_text(4);
        r.choice = st.col_text(5);
        r.blind = col_flag(st, 6);
        r.rated_at = st.col_text(7);
        out.push_back(std::move(r));
    }
    return out;
}

double Store::sign_test_p(int64_t wins, int64_t losses) {
    const int64_t n = wins + losses;
    if (n <= 0) return 1.0;
    // P(X <= min) under Binomial(n, 1/2), summed in log space (n may be large), doubled.
    const int64_t k_max = std::min(wins, losses);
    const double log_half_n = static_cast<double>(n) * std::log(0.5);
    double tail = 0;
    for (int64_t k = 0; k <= k_max; ++k)
        tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                         log_half_n);
    return std::min(1.0, 2.0 * tail);
}

Result<std::vector<PreferenceSummary>> Store::preference_summary(int64_t eval_id) const {
    TB_ASSIGN_OR_RETURN(std::vector<PreferenceRow> rows, list_preferences(eval_id));
    std::map<std::pair<std::string, std::string>, PreferenceSummary> pairs;
    for (const auto& r : rows) {
        const bool a_is_x = r.model_a < r.model_b;
        PreferenceSummary& s = pairs[a_is_x ? std::make_pair(r.model_a, r.model_b)
                                            : std::make_pair(r.model_b, r.model_a)];
        s.model_x = a_is_x ? r.model_a : r.model_b;
        s.model_y = a_is_x ? r.model_b : r.model_a;
        if (r.choice == "tie") {
            ++s.ties;
            continue;
        }
        const bool a_won = r.choice == "a";
        ++(a_won ? s.first_wins : s.second_wins);
        ++(a_won == a_is_x ? s.x_wins : s.y_wins);
    }
    std::vector<PreferenceSummary> out;
    for (auto& [key, s] : pairs) {
        if (s.x_wins + s.y_wins > 0) s.p_value = sign_test_p(s.x_wins, s.y_wins);
        out.push_back(s);
    }
    return out;
}

// --- user messages ----------------------------------------------------------------------------

Status Store::add_user_messages(const std::vector<UserMessageRow>& rows) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            "INSERT OR REPLACE INTO eval_user_messages (eval_id, item_id, instruction, context) "
            "VALUES (?1, ?2, ?3, ?4)");
    for (const auto& r : rows) {
        st.bind(1, r.eval_id).bind(2, r.item_id).bind(3, r.instruction).bind(4, r.context);
        TB_TRY_STATUS(st.run());
    }
    return tx.commit();
}

Result<std::vector<UserMessageRow>> Store::user_messages(int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT eval_id, item_id, instruction, context FROM eval_user_messages WHERE eval_id "
            "= ?1 ORDER BY rowid");
    st.bind(1, eval_id);
    std::vector<UserMessageRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        out.push_back({st.col_int(0), st.col_text(1), st.col_text(2), st.col_text(3)});
    }
    return out;
}

}  // namespace tb::store
