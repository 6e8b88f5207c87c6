// Store: chat playground conversations (schema v5; store.h says what a column is).
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "core/store/sql.h"
#include "core/store/store.h"

namespace tb::store {

using detail::kNow;
using detail::Stmt;
using detail::Transaction;

namespace {

const char* kConversationColumns =
    "SELECT id, title, system_prompt, model_dir, adapters_json, settings_json, created_at, "
    "updated_at FROM conversations";

Result<ConversationRecord> read_conversation(const Stmt& st, const std::string& path) {
    ConversationRecord r;
    r.id = st.col_int(0);
    r.title = st.col_text(1);
    r.system_prompt = st.col_text(2);
    r.model_dir = st.col_text(3);
    const auto adapters = nlohmann::json::parse(st.col_text(4), nullptr, false);
    if (!adapters.is_array())
        return Error{path + ": conversations.adapters_json of conversation " +
                     std::to_string(r.id) + ": not a JSON array"};
    for (const auto& a : adapters) {
        if (!a.is_string())
            return Error{path + ": conversations.adapters_json of conversation " +
                         std::to_string(r.id) + ": an entry is not a string"};
        r.adapters.push_back(a.get<std::string>());
    }
    r.settings_json = st.col_text(5);
    r.created_at = st.col_text(6);
    r.updated_at = st.col_text(7);
    return r;
}

}  // namespace

Result<int64_t> Store::save_conversation(const ConversationRecord& record,
                                         const std::vector<ConversationMessage>& messages) {
    const int columns = 1 + static_cast<int>(record.adapters.size());
    for (const ConversationMessage& m : messages) {
        const std::string where = path_ + ": conversation message of turn " +
                                  std::to_string(m.turn) + ", column " + std::to_string(m.column);
        if (m.column < -1 || m.column >= columns)
            return Error{where + ": column outside [-1, " + std::to_string(columns - 1) + "]"};
        if ((m.role == "user") != (m.column == -1) || (m.role != "user" && m.role != "assistant"))
            return Error{where + ": role '" + m.role +
                         "' (user messages have column -1, assistant messages a model column)"};
        if (m.turn < 0) return Error{where + ": negative turn"};
    }
    nlohmann::json adapters = nlohmann::json::array();
    for (const auto& a : record.adapters) adapters.push_back(a);

    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    int64_t id = record.id;
    if (id == 0) {
        Stmt st(db_, path_,
                std::string("INSERT INTO conversations (title, system_prompt, model_dir, "
                            "adapters_json, settings_json, created_at, updated_at) VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ") +
                    kNow + ", " + kNow + ")");
        st.bind(1, record.title)
            .bind(2, record.system_prompt)
            .bind(3, record.model_dir)
            .bind(4, adapters.dump())
            .bind(5, record.settings_json);
        TB_TRY_STATUS(st.run());
        id = sqlite3_last_insert_rowid(db_);
    } else {
        Stmt st(db_, path_,
                std::string("UPDATE conversations SET title = ?1, system_prompt = ?2, "
                            "model_dir = ?3, adapters_json = ?4, settings_json = ?5, "
                            "updated_at = ") +
                    kNow + " WHERE id = ?6");
        st.bind(1, record.title)
            .bind(2, record.system_prompt)
            .bind(3, record.model_dir)
            .bind(4, adapters.dump())
            .bind(5, record.settings_json)
            .bind(6, id);
        TB_TRY_STATUS(st.run());
        if (sqlite3_changes(db_) == 0)
            return Error{path_ + ": conversations: no conversation with id " + std::to_string(id)};
        Stmt del(db_, path_, "DELETE FROM conversation_messages WHERE conversation_id = ?1");
        del.bind(1, id);
        TB_TRY_STATUS(del.run());
    }
    Stmt ins(db_, path_,
             "INSERT INTO conversation_messages (conversation_id, turn, column_index, role, "
             "content, tokens, seconds, finish_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const ConversationMessage& m : messages) {
        ins.bind(1, id)
            .bind(2, m.turn)
            .bind(3, m.column)
            .bind(4, m.role)
            .bind(5, m.content)
            .bind(6, m.tokens)
            .bind(7, m.seconds)
            .bind(8, m.finish_reason);
        TB_TRY_STATUS(ins.run());
    }
    TB_TRY_STATUS(tx.commit());
    return id;
}

Result<std::vector<ConversationRecord>> Store::list_conversations() const {
    Stmt st(db_, path_, std::string(kConversationColumns) + " ORDER BY updated_at DESC, id DESC");
    std::vector<ConversationRecord> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        TB_ASSIGN_OR_RETURN(ConversationRecord r, read_conversation(st, path_));
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::optional<Conversation>> Store::load_conversation(int64_t id) const {
    Conversation c;
    {
        Stmt st(db_, path_, std::string(kConversationColumns) + " WHERE id = ?1");
        st.bind(1, id);
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) return std::optional<Conversation>();
        TB_ASSIGN_OR_RETURN(c.record, read_conversation(st, path_));
    }
    Stmt st(db_, path_,
            "SELECT turn, column_index, role, content, tokens, seconds, finish_reason FROM "
            "conversation_messages WHERE conversation_id = ?1 ORDER BY turn, column_index");
    st.bind(1, id);
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        ConversationMessage m;
        m.turn = st.col_int(0);
        m.column = static_cast<int>(st.col_int(1));
        m.role = st.col_text(2);
        m.content = st.col_text(3);
        m.tokens = st.col_int(4);
        m.seconds = st.col_double(5);
        m.finish_reason = st.col_text(6);
        c.messages.push_back(std::move(m));
    }
    return std::optional<Conversation>(std::move(c));
}

Status Store::delete_conversation(int64_t id) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_, "DELETE FROM conversations WHERE id = ?1");
    st.bind(1, id);
    TB_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) == 0)
        return Error{path_ + ": conversations: no conversation with id " + std::to_string(id)};
    return tx.commit();
}

}  // namespace tb::store
