#include "core/demo/demo_dataset.h"

#include <array>
#include <nlohmann/json.hpp>

namespace tb::demo {
namespace {

// splitmix64: tiny, portable, identical on every platform and compiler.
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }
};

struct Country {
    const char* name;
    const char* capital;
    const char* continent;
    const char* language;
};
struct Animal {
    const char* name;
    const char* kind;
    const char* habitat;
    const char* food;
    const char* trait;
};

const std::vector<Country> kCountries = {
    {"France", "Paris", "Europe", "French"},
    {"Spain", "Madrid", "Europe", "Spanish"},
    {"Italy", "Rome", "Europe", "Italian"},
    {"Germany", "Berlin", "Europe", "German"},
    {"Portugal", "Lisbon", "Europe", "Portuguese"},
    {"Greece", "Athens", "Europe", "Greek"},
    {"Poland", "Warsaw", "Europe", "Polish"},
    {"Norway", "Oslo", "Europe", "Norwegian"},
    {"Sweden", "Stockholm", "Europe", "Swedish"},
    {"Ireland", "Dublin", "Europe", "English"},
    {"Japan", "Tokyo", "Asia", "Japanese"},
    {"China", "Beijing", "Asia", "Chinese"},
    {"India", "New Delhi", "Asia", "Hindi"},
    {"Thailand", "Bangkok", "Asia", "Thai"},
    {"Vietnam", "Hanoi", "Asia", "Vietnamese"},
    {"Korea", "Seoul", "Asia", "Korean"},
    {"Egypt", "Cairo", "Africa", "Arabic"},
    {"Kenya", "Nairobi", "Africa", "Swahili"},
    {"Morocco", "Rabat", "Africa", "Arabic"},
    {"Ghana", "Accra", "Africa", "English"},
    {"Peru", "Lima", "South America", "Spanish"},
    {"Chile", "Santiago", "South America", "Spanish"},
    {"Brazil", "Brasilia", "South America", "Portuguese"},
    {"Argentina", "Buenos Aires", "South America", "Spanish"},
    {"Colombia", "Bogota", "South America", "Spanish"},
    {"Canada", "Ottawa", "North America", "English"},
    {"Mexico", "Mexico City", "North America", "Spanish"},
    {"Cuba", "Havana", "North America", "Spanish"},
    {"Australia", "Canberra", "Oceania", "English"},
    {"Fiji", "Suva", "Oceania", "English"},
};

const std::vector<Animal> kAnimals = {
    {"lions", "mammals", "the savanna", "meat", "strong"},
    {"zebras", "mammals", "the savanna", "grass", "fast"},
    {"elephants", "mammals", "the savanna", "leaves", "large"},
    {"giraffes", "mammals", "the savanna", "leaves", "tall"},
    {"wolves", "mammals", "the forest", "meat", "social"},
    {"bears", "mammals", "the forest", "berries and fish", "large"},
    {"deer", "mammals", "the forest", "grass", "shy"},
    {"foxes", "mammals", "the forest", "mice", "clever"},
    {"owls", "birds", "the forest", "mice", "quiet"},
    {"eagles", "birds", "the mountains", "fish", "strong"},
    {"penguins", "birds", "the ice", "fish", "social"},
    {"parrots", "birds", "the jungle", "seeds", "colorful"},
    {"ducks", "birds", "the lake", "plants", "friendly"},
    {"swans", "birds", "the lake", "plants", "graceful"},
    {"sharks", "fish", "the ocean", "fish", "fast"},
    {"salmon", "fish", "the river", "insects", "strong"},
    {"trout", "fish", "the river", "insects", "small"},
    {"tuna", "fish", "the ocean", "fish", "fast"},
    {"snakes", "reptiles", "the desert", "mice", "quiet"},
    {"lizards", "reptiles", "the desert", "insects", "small"},
    {"turtles", "reptiles", "the ocean", "plants", "slow"},
    {"crocodiles", "reptiles", "the river", "meat", "strong"},
    {"bees", "insects", "the garden", "nectar", "busy"},
    {"ants", "insects", "the garden", "seeds", "busy"},
    {"butterflies", "insects", "the garden", "nectar", "colorful"},
    {"camels", "mammals", "the desert", "plants", "patient"},
    {"monkeys", "mammals", "the jungle", "fruit", "playful"},
    {"tigers", "mammals", "the jungle", "meat", "strong"},
    {"frogs", "amphibians", "the pond", "insects", "small"},
    {"whales", "mammals", "the ocean", "krill", "huge"},
};

const std::vector<std::string> kFruits = {"apple", "banana", "cherry", "grape",   "lemon",
                                          "mango", "orange", "peach",  "pear",    "plum",
                                          "kiwi",  "melon",  "lime",   "apricot", "fig"};
const std::vector<std::string> kVegetables = {
    "carrot", "potato", "onion",  "lettuce", "cabbage", "pepper", "spinach", "broccoli",
    "celery", "leek",   "radish", "turnip",  "pea",     "bean",   "cucumber"};
const std::vector<std::string> kActivities = {
    "a rainy day",        "a picnic",         "a birthday party", "a trip to the beach",
    "a quiet evening",    "a school project", "a family dinner",  "a weekend in the city",
    "a walk in the park", "a camping trip"};
const std::vector<std::string> kIdeas = {
    "play a board game",  "read a good book", "cook a new recipe",          "go for a long walk",
    "visit a museum",     "paint a picture",  "write a letter to a friend", "watch a classic film",
    "plant some flowers", "bake bread",       "learn a new song",           "build a small kite"};
const std::vector<std::string> kFirst = {
    "Anna",  "Ben",   "Clara", "David", "Elena", "Felix", "Grace",  "Hugo",   "Irene",  "Jonas",
    "Laura", "Marco", "Nina",  "Oscar", "Paula", "Rosa",  "Samuel", "Teresa", "Victor", "Wendy"};
const std::vector<std::string> kJobs = {"teacher", "doctor", "baker", "painter",  "farmer",
                                        "pilot",   "writer", "nurse", "engineer", "musician"};
const std::vector<std::string> kTopics = {"the sea",   "the moon",      "autumn",      "the city",
                                          "a garden",  "winter",        "the rain",    "a river",
                                          "the stars", "the morning",   "a forest",    "the wind",
                                          "summer",    "the mountains", "an old house"};
const std::vector<std::string> kAdjectives = {"quiet", "bright", "cold",   "gentle",
                                              "wild",  "soft",   "golden", "dark",
                                              "warm",  "calm",   "silver", "deep"};

std::string cap(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

}  // namespace

DemoData make_demo_data(uint64_t seed) {
    Rng rng{seed};
    DemoData d;
    auto add = [&](std::string instr, std::string ctx, std::string resp, const char* cat) {
        d.records.push_back({std::move(instr), std::move(ctx), std::move(resp), cat});
    };

    for (const auto& c : kCountries) {
        add(std::string("What is the capital of ") + c.name + "?", "",
            std::string("The capital of ") + c.name + " is " + c.capital + ".", "open_qa");
        add(std::string("On which continent is ") + c.name + "?", "",
            std::string(c.name) + " is in " + c.continent + ".", "open_qa");
        d.corpus.push_back(std::string(c.capital) + " is the capital of " + c.name + ". " + c.name +
                           " is a country in " + c.continent + ". People in " + c.name + " speak " +
                           c.language + ". The capital of " + c.name + " is " + c.capital + ".");
    }
    for (const auto& a : kAnimals) {
        const std::string A = cap(a.name);
        add(std::string("What do ") + a.name + " eat?", "", A + " eat " + a.food + ".",
            "general_qa");
        add(std::string("Where do ") + a.name + " live?", "", A + " live in " + a.habitat + ".",
            "general_qa");
        const std::string ctx = A + " are " + a.trait + " " + a.kind + ". They live in " +
                                a.habitat + ". Most of the time they eat " + a.food + ".";
        add(std::string("Summarize this text about ") + a.name + ".", ctx,
            A + " are " + a.kind + " that live in " + a.habitat + " and eat " + a.food + ".",
            "summarization");
        d.corpus.push_back(ctx + " Many " + a.name + " are " + a.trait + ". " + A + " are " +
                           a.kind + ".");
    }
    for (size_t i = 0; i < 36; ++i) {
        const bool fruit = rng.below(2) == 0;
        const std::string& x = fruit ? rng.pick(kFruits) : rng.pick(kVegetables);
        add("Is a " + x + " a fruit or a vegetable?", "",
            "A " + x + " is a " + (fruit ? "fruit." : "vegetable."), "classification");
    }
    for (const auto& f : kFruits)
        d.corpus.push_back("A " + f + " is a fruit. People eat the " + f + " fresh.");
    for (const auto& v : kVegetables)
        d.corpus.push_back("A " + v + " is a vegetable. People cook the " + v + ".");
    for (size_t i = 0; i < 14; ++i) {
        const Animal& a = kAnimals[rng.below(kAnimals.size())];
        const Animal& b = kAnimals[rng.below(kAnimals.size())];
        const Animal& c = kAnimals[rng.below(kAnimals.size())];
        add(std::string("Classify these animals by kind: ") + a.name + ", " + b.name + ", " +
                c.name + ".",
            "",
            cap(a.name) + " are " + a.kind + ". " + cap(b.name) + " are " + b.kind + ". " +
                cap(c.name) + " are " + c.kind + ".",
            "classification");
    }
    for (const auto& act : kActivities) {
        for (int rep = 0; rep < 3; ++rep) {
            size_t i1 = rng.below(kIdeas.size()), i2 = rng.below(kIdeas.size()),
                   i3 = rng.below(kIdeas.size());
            while (i2 == i1) i2 = rng.below(kIdeas.size());
            while (i3 == i1 || i3 == i2) i3 = rng.below(kIdeas.size());
            add("Give me three ideas for " + act + ".", "",
                "Here are three ideas for " + act + ": " + kIdeas[i1] + ", " + kIdeas[i2] +
                    " and " + kIdeas[i3] + ".",
                "brainstorming");
        }
    }
    for (const auto& idea : kIdeas)
        d.corpus.push_back("A good idea is to " + idea + ". You can " + idea + " with friends.");
    for (size_t i = 0; i < 40; ++i) {
        const std::string name = rng.pick(kFirst);
        const Country& c = kCountries[rng.below(kCountries.size())];
        const std::string job = rng.pick(kJobs);
        const int year = 1950 + static_cast<int>(rng.below(50));
        const std::string ctx = name + " is a " + job + " who lives in " + c.capital + ". " + name +
                                " was born in " + std::to_string(year) + " and likes to travel.";
        if (i % 2 == 0)
            add("Where does " + name + " live?", ctx, name + " lives in " + c.capital + ".",
                "closed_qa");
        else
            add("What is the job of " + name + "?", ctx, name + " is a " + job + ".", "closed_qa");
        add("Extract the year " + name + " was born from the text.", ctx,
            name + " was born in " + std::to_string(year) + ".", "information_extraction");
        d.corpus.push_back(ctx);
    }
    for (const auto& topic : kTopics) {
        for (int rep = 0; rep < 2; ++rep) {
            const std::string a1 = rng.pick(kAdjectives), a2 = rng.pick(kAdjectives),
                              a3 = rng.pick(kAdjectives);
            add("Write a short poem about " + topic + ".", "",
                cap(topic) + " is " + a1 + " and " + a2 + ",\nit sings a " + a3 +
                    " song,\nand I will stay with " + topic + " all night long.",
                "creative_writing");
            d.corpus.push_back("I walked by " + topic + ". It was " + a1 + " and " + a2 +
                               ". The song of " + topic + " was " + a3 + ".");
        }
    }
    return d;
}

std::string to_dolly_jsonl(const std::vector<DollyRecord>& records) {
    std::string out;
    for (const auto& r : records) {
        nlohmann::json j = {{"instruction", r.instruction},
                            {"context", r.context},
                            {"response", r.response},
                            {"category", r.category}};
        out += j.dump() + "\n";
    }
    return out;
}

}  // namespace tb::demo
